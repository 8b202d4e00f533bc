import copy
import importlib

import pytest
from django.apps import apps as django_apps
from django.db import transaction
from django.test import override_settings

from conftest import personas
from pipewise.reports.tests.ledger import Book

DEFAULT_PROCESS = importlib.import_module("pipewise.pipeline.migrations.0002_default_process")
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def written_ledger(django_db_setup, django_db_blocker):
    """The personas and the generated book of business, written once per test process.

    Writing the ledger through the services takes seconds, and about eighty tests read
    it without changing what they read. It is written in a transaction that stays open
    until the process ends; each test that asks for ``ledger`` runs inside it (its own
    transaction becomes a savepoint that is rolled back), and the root conftest runs
    those tests after all others, so no other test sees these rows.
    """
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        outer = transaction.atomic()
        outer.__enter__()
        # A browser test before it (transactional, so run before the ledger's tests) ends
        # with a flush that takes the migration's default sales process along.
        DEFAULT_PROCESS.create_default_process(django_apps, None)
        people = personas()
        written = (people, Book(people).add())
    yield written
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        outer.__exit__(None, None, None)


@pytest.fixture
def ledger_world(written_ledger, db):
    """A copy of the written personas and ledger: a test may change its objects freely."""
    return copy.deepcopy(written_ledger)


@pytest.fixture
def people(request, db):
    """The ledger's personas for a test that reads the ledger; fresh personas otherwise."""
    if "ledger" in request.fixturenames:
        return request.getfixturevalue("ledger_world")[0]
    return personas()


@pytest.fixture
def book(people) -> Book:
    """Teams, segments, product lines and accounts around the personas; ``add`` writes deals."""
    return Book(people)


@pytest.fixture
def ledger(ledger_world):
    """A generated book of business (deals, line items, leads, activities) and its facts."""
    return ledger_world[1]


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The personas get passwords; argon2 is slow on purpose, and these tests log no one in."""
    settings.PASSWORD_HASHERS = FAST_HASHERS
