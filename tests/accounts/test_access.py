"""Who sees which commitment (DOMAIN.md §4): deny by default, 404 for what is not yours."""

from __future__ import annotations

import pytest

from sitebill.accounts.access import Role, access_contract, contract_role, contracts_for_user
from sitebill.core.exceptions import NotFound, PermissionDenied


def test_a_contact_sees_only_its_own_commitments(world):
    # when
    visible = set(contracts_for_user(world.contact))
    # then
    assert visible == {world.commitment}


def test_a_contact_asking_for_another_vendors_commitment_gets_not_found(world):
    with pytest.raises(NotFound):
        access_contract(world.contact, world.other_commitment.pk)


def test_a_stranger_sees_nothing(world):
    assert list(contracts_for_user(world.stranger)) == []
    with pytest.raises(NotFound):
        access_contract(world.stranger, world.commitment.pk)


def test_a_private_commitment_is_hidden_from_read_only_and_unlisted_standard_users(world):
    # given
    world.commitment.private = True
    world.commitment.save(update_fields=["private"])
    # then
    assert world.commitment not in contracts_for_user(world.read_only)
    assert world.commitment not in contracts_for_user(world.standard)
    assert world.commitment in contracts_for_user(world.admin)
    # when the standard user is put on its private list
    world.commitment.private_viewers.add(world.standard)
    assert world.commitment in contracts_for_user(world.standard)
    assert contract_role(world.standard, world.commitment) == Role.STANDARD


def test_a_read_only_user_may_see_but_not_act(world):
    with pytest.raises(PermissionDenied):
        access_contract(world.read_only, world.commitment.pk, at_least=Role.STANDARD)
    assert access_contract(world.read_only, world.commitment.pk) == world.commitment


def test_a_garbage_id_is_simply_not_found(world):
    with pytest.raises(NotFound):
        access_contract(world.admin, "abc")
