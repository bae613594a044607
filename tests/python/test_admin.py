"""The admin API through Mastodon.py's admin calls: people, sign-ups, logins, suspensions,
and domain blocks and allows, with scopes and roles enforced."""

from urllib.parse import urlparse

import pytest
import requests
from conftest import login, session
from mastodon import Mastodon, MastodonAPIError

ADMIN_SCOPES = ["read", "write", "admin:read", "admin:write"]


def admin_login(base, username, scopes=ADMIN_SCOPES):
    client_id, client_secret = Mastodon.create_app(
        "guild-admin", api_base_url=base, scopes=scopes,
        redirect_uris="urn:ietf:wg:oauth:2.0:oob", session=session(),
    )
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base, session=session())
    api.log_in(username, "password123", scopes=scopes, allow_http=True)
    return api


def sign_up(base, username):
    """A sign-up through the API; alpha's registrations wait for approval."""
    client_id, client_secret = Mastodon.create_app(
        "guild-sign-up", api_base_url=base, scopes=["read", "write"], session=session())
    app = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=base, session=session())
    app.create_account(username, "password123", f"{username}@example.org", agreement=True, locale="en",
                       scopes=["read", "write"])


def refused(call, status):
    with pytest.raises(MastodonAPIError) as raised:
        call()
    assert raised.value.args[1] == status, raised.value.args


def cannot_sign_in(base, username, why):
    with pytest.raises(Exception) as raised:
        login(base, username)
    assert why in str(raised.value), raised.value


def test_only_administrators_with_admin_scopes(alpha):
    refused(lambda: admin_login(alpha, "carol").admin_accounts_v2(), 403)
    refused(lambda: admin_login(alpha, "ada", ["read", "write"]).admin_accounts_v2(), 403)


def test_sign_ups_logins_and_roles(alpha):
    ada = admin_login(alpha, "ada")
    sign_up(alpha, "dora")
    sign_up(alpha, "eve")
    pending = {a.username: a for a in ada.admin_accounts_v2(status="pending")}
    assert set(pending) == {"dora", "eve"}
    dora = pending["dora"]
    assert dora.email == "dora@example.org" and not dora.approved and dora.account.username == "dora"
    cannot_sign_in(alpha, "dora", "waiting for approval")
    assert ada.admin_account_approve(dora.id).approved
    login(alpha, "dora")
    rejected = ada.admin_account_reject(pending["eve"].id)
    assert rejected.username == "eve"
    refused(lambda: ada.admin_account(pending["eve"].id), 404)

    local = {a.username for a in ada.admin_accounts_v2(origin="local")}
    assert {"ada", "alice", "carol", "dora"} <= local
    staff = ada.admin_accounts_v2(permissions="staff")
    assert [a.username for a in staff] == ["ada"] and staff[0].role.permissions == "1"
    assert [a.username for a in ada.admin_accounts_v2(username="DO")] == ["dora"]
    assert ada.admin_accounts_v2(status="silenced") == []

    # A disabled login cannot sign in until it is enabled again.
    ada.admin_account_moderate(dora.id, "disable")
    assert ada.admin_account(dora.id).disabled
    assert dora.id in [a.id for a in ada.admin_accounts_v2(status="disabled")]
    cannot_sign_in(alpha, "dora", "disabled")
    ada.admin_account_enable(dora.id)
    login(alpha, "dora")
    refused(lambda: ada.admin_account_moderate(dora.id, "silence"), 422)
    ada_id = ada.me().id
    refused(lambda: ada.admin_account_moderate(ada_id, "disable"), 422)

    # A suspended person's posts are hidden from everyone until the suspension ends.
    post = login(alpha, "dora").status_post("Dora was here", visibility="public")
    reader = login(alpha, "alice")
    ada.admin_account_moderate(dora.id, "suspend")
    refused(lambda: reader.status(post.id), 404)
    assert post.id not in [s.id for s in reader.timeline_public(local=True)]
    ada.admin_account_unsuspend(dora.id)
    assert reader.status(post.id).content == "<p>Dora was here</p>"
    assert post.id in [s.id for s in reader.timeline_public(local=True)]

    # Guild's own call: roles.
    url = f"{alpha}/api/v1/admin/accounts/{dora.id}/role"
    headers = {"Authorization": f"Bearer {ada.access_token}"}
    made = requests.post(url, data={"role": "admin"}, headers=headers)
    assert made.status_code == 200 and made.json()["role"]["permissions"] == "1", made.text
    assert {a.username for a in ada.admin_accounts_v2(permissions="staff")} == {"ada", "dora"}
    requests.post(url, data={"role": "user"}, headers=headers).raise_for_status()
    assert ada.admin_account(dora.id).role.permissions == "65536"

    # Closed for good: no login, no profile, and the name stays taken.
    gone = ada.admin_account_delete(dora.id)
    assert gone.suspended and gone.account.display_name == ""
    cannot_sign_in(alpha, "dora", "password")
    refused(lambda: ada.admin_account_delete(ada_id), 422)


def test_suspending_an_account_from_another_server(alpha, beta, alice):
    ada = admin_login(alpha, "ada")
    domain = urlparse(beta).netloc
    bob = alice.search_v2(f"bob@{domain}", resolve=True).accounts[0]
    ada.admin_account_moderate(bob.id, "suspend")
    suspended = ada.admin_accounts_v2(origin="remote", status="suspended")
    assert [a.username for a in suspended] == ["bob"] and suspended[0].domain == domain
    assert ada.admin_account_unsuspend(bob.id).suspended is False
    assert bob.id in [a.id for a in ada.admin_accounts_v2(origin="remote", by_domain=domain)]


def test_domain_blocks_and_allows(alpha):
    ada = admin_login(alpha, "ada")
    block = ada.admin_create_domain_block("spam.example", severity="suspend", private_comment="spam")
    assert block.id == "spam.example" and block.severity == "suspend" and block.reject_media
    refused(lambda: ada.admin_create_domain_block("spam.example"), 422)
    assert [b.domain for b in ada.admin_domain_blocks()] == ["spam.example"]
    changed = ada.admin_update_domain_block(block.id, severity="silence")
    assert changed.severity == "silence" and changed.private_comment == "spam"
    assert ada.admin_domain_blocks(block.id).severity == "silence"
    ada.admin_delete_domain_block(block.id)
    assert ada.admin_domain_blocks() == []
    refused(lambda: ada.admin_domain_blocks("spam.example"), 404)

    allow = ada.admin_create_domain_allow("partner.example")
    assert ada.admin_domain_allow(allow.id).domain == "partner.example"
    assert [a.domain for a in ada.admin_domain_allows()] == ["partner.example"]
    refused(lambda: ada.admin_delete_domain_block(allow.id), 404)
    ada.admin_delete_domain_allow(allow.id)
    assert ada.admin_domain_allows() == []


def test_reports_of_every_community(alpha, beta, alice, carol):
    ada = admin_login(alpha, "ada")
    domain = urlparse(beta).netloc
    post = alice.status_post(f"@practice@{domain} Cheap watches, today only")
    carol.report(alice.me().id, status_ids=[post.id], comment="watch spam")
    report = next(r for r in ada.admin_reports() if r.comment == "watch spam")
    assert report.account.username == "carol" and report.target_account.username == "alice"
    assert [s.id for s in report.statuses] == [post.id]
    assert report.forwarded and not report.action_taken
    refused(lambda: carol.admin_reports(), 403)

    assert ada.admin_report_assign(report.id).assigned_account.username == "ada"
    assert ada.admin_report_unassign(report.id).assigned_account is None
    resolved = ada.admin_report_resolve(report.id)
    assert resolved.action_taken and resolved.action_taken_by_account.username == "ada"
    assert report.id not in [r.id for r in ada.admin_reports()]
    assert report.id in [r.id for r in ada.admin_reports(resolved=True)]
    assert not ada.admin_report_reopen(report.id).action_taken
    assert [r.id for r in ada.admin_reports(target_account_id=alice.me().id)] == [report.id]
    # An action on the account can close the report it answers.
    ada.admin_account_moderate(alice.me().id, "none", report_id=report.id)
    assert ada.admin_report(report.id).action_taken
