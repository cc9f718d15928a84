from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from tests.security.world import World, world_build


@pytest.fixture
def world(salesperson: User, other_salesperson: User, admin_user: User) -> World:
    return world_build(sam=salesperson, olga=other_salesperson, admin=admin_user)
