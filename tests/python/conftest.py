"""Fixtures for driving running Guild instances with Mastodon.py.

The Rust test `tests/mastodon_py.rs` starts the instances and passes their URLs in
GUILD_ALPHA / GUILD_BETA. Every JSON response is recorded so that `test_schemas.py` can hold
it against the Mastodon API description.
"""

import json
import os
import re

import pytest
import requests
from mastodon import Mastodon

RESPONSES = []
SCOPES = ["read", "write", "follow"]


def record(response, *args, **kwargs):
    if "json" in response.headers.get("Content-Type", "") and response.content:
        try:
            path = re.sub(r"\?.*", "", response.request.path_url)
            RESPONSES.append((response.status_code, response.request.method, path, response.json()))
        except ValueError:
            pass


def session():
    s = requests.Session()
    s.hooks["response"].append(record)
    return s


def login(base, username):
    client_id, client_secret = Mastodon.create_app(
        "guild-tests", api_base_url=base, scopes=SCOPES,
        redirect_uris="urn:ietf:wg:oauth:2.0:oob", session=session(),
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base, session=session())
    api.log_in(username, "password123", scopes=SCOPES, allow_http=True)  # tests run on plain http
    return api


@pytest.fixture(scope="session")
def alpha():
    return os.environ["GUILD_ALPHA"]


@pytest.fixture(scope="session")
def beta():
    return os.environ["GUILD_BETA"]


@pytest.fixture(scope="session")
def alice(alpha):
    return login(alpha, "alice")


@pytest.fixture(scope="session")
def carol(alpha):
    return login(alpha, "carol")


@pytest.fixture(scope="session")
def responses():
    return RESPONSES


@pytest.fixture(scope="session")
def spec():
    with open(os.path.join(os.path.dirname(__file__), "..", "spec", "mastodon-openapi.json")) as f:
        return json.load(f)
