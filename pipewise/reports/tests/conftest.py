import pytest

from pipewise.reports.tests.ledger import Book


@pytest.fixture
def book(people) -> Book:
    """Teams, segments, product lines and accounts around the personas; ``add`` writes deals."""
    return Book(people)


@pytest.fixture
def ledger(book):
    """A generated book of business (deals, line items, leads, activities) and its facts."""
    return book.add()


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """The personas get passwords; argon2 is slow on purpose, and these tests log no one in."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
