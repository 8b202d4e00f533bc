import pytest
from django.core.exceptions import ValidationError

from pipewise.org.selectors import user_and_reports_ids, user_territory_ids
from pipewise.org.services import territory_save, user_save


def test_it_walks_the_reporting_line_transitively(people):
    assert user_and_reports_ids(people.vp) == {people.vp.pk, people.manager.pk, people.ae.pk,
                                               people.sdr.pk}
    assert user_and_reports_ids(people.ae) == {people.ae.pk}


def test_it_includes_territories_below_the_users_own(people):
    assert user_territory_ids(people.manager) == {people.germany.pk, people.bavaria.pk}


def test_it_refuses_a_reporting_loop(people):
    with pytest.raises(ValidationError) as error:
        user_save(user=people.manager, username="manager", manager=people.ae,
                  roles=["sales_manager"])
    assert "cannot loop" in error.value.message_dict["manager"][0]


def test_it_refuses_unknown_roles(db):
    with pytest.raises(ValidationError) as error:
        user_save(username="x", roles=["wizard"])
    assert "Unknown role 'wizard'" in error.value.message_dict["roles"][0]


def test_it_keeps_the_territory_tree_shape(people):
    with pytest.raises(ValidationError):
        territory_save(name="Munich", code="MUC", level="area", parent=people.emea)
    with pytest.raises(ValidationError):
        territory_save(name="France", code="FR", level="country")


def test_it_marks_executives_read_only(people):
    assert people.executive.is_read_only
    assert people.executive.sees_everything
    assert not people.manager.is_read_only
