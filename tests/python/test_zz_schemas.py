"""Every JSON response recorded during the session, held against the Mastodon API
description (runs last: pytest orders files by name)."""

import re

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

# (method, path pattern) -> (schema, whether the response is a list, or a map of them: "values")
SHAPES = [
    ("POST", r"/api/v1/apps", "CredentialApplication", False),
    ("POST", r"/oauth/token", "Token", False),
    ("GET", r"/api/v1/instance", "V1Instance", False),
    ("GET", r"/api/v2/instance", "Instance", False),
    ("GET", r"/api/v1/accounts/verify_credentials", "CredentialAccount", False),
    ("GET", r"/api/v1/accounts/relationships", "Relationship", True),
    ("GET", r"/api/v1/accounts/lookup", "Account", False),
    ("GET", r"/api/v1/accounts/search", "Account", True),
    ("GET", r"/api/v1/accounts/\d+", "Account", False),
    ("POST", r"/api/v1/accounts/\d+/(follow|unfollow|block|unblock|mute|unmute)", "Relationship", False),
    ("GET", r"/api/v1/(blocks|mutes)", "Account", True),
    ("POST", r"/api/v1/statuses", "Status", False),
    ("GET", r"/api/v1/statuses/\d+", "Status", False),
    ("POST", r"/api/v1/statuses/\d+/\w+", "Status", False),
    ("DELETE", r"/api/v1/statuses/\d+", "Status", False),
    ("GET", r"/api/v1/timelines/\w+", "Status", True),
    ("GET", r"/api/v2/search", "Search", False),
    ("GET", r"/api/v1/notifications", "Notification", True),
    ("GET", r"/api/v1/statuses/\d+/context", "Context", False),
    ("GET", r"/api/v1/statuses/\d+/source", "StatusSource", False),
    ("PUT", r"/api/v1/statuses/\d+", "Status", False),
    ("GET", r"/api/v1/statuses/\d+/(favourited_by|reblogged_by)", "Account", True),
    ("GET", r"/api/v1/preferences", "Preferences", False),
    ("PATCH", r"/api/v1/accounts/update_credentials", "CredentialAccount", False),
    ("GET", r"/api/v1/accounts/\d+/(followers|following)", "Account", True),
    ("GET", r"/api/v1/follow_requests", "Account", True),
    ("POST", r"/api/v1/follow_requests/\d+/(authorize|reject)", "Relationship", False),
    ("GET", r"/api/v1/notifications/\d+", "Notification", False),
    ("GET", r"/api/v1/(bookmarks|favourites)", "Status", True),
    ("GET", r"/api/v1/statuses/\d+/history", "StatusEdit", True),
    ("GET", r"/api/v1/directory", "Account", True),
    ("POST", r"/api/v1/reports", "Report", False),
    ("GET", r"/api/v1/timelines/tag/\w+", "Status", True),
    ("GET", r"/api/v1/tags/\w+", "Tag", False),
    ("POST", r"/api/v1/tags/\w+/(follow|unfollow)", "Tag", False),
    ("GET", r"/api/v1/followed_tags", "Tag", True),
    ("GET", r"/api/v1/(lists|accounts/\d+/lists)", "List", True),
    ("POST", r"/api/v1/lists", "List", False),
    ("GET", r"/api/v1/lists/\d+", "List", False),
    ("PUT", r"/api/v1/lists/\d+", "List", False),
    ("GET", r"/api/v1/lists/\d+/accounts", "Account", True),
    ("GET", r"/api/v1/timelines/list/\d+", "Status", True),
    ("GET", r"/api/v1/conversations", "Conversation", True),
    ("GET", r"/api/v2/filters", "Filter", True),
    ("POST", r"/api/v2/filters", "Filter", False),
    ("GET", r"/api/v2/filters/\d+", "Filter", False),
    ("PUT", r"/api/v2/filters/\d+", "Filter", False),
    ("GET", r"/api/v2/filters/\d+/keywords", "FilterKeyword", True),
    ("POST", r"/api/v2/filters/\d+/keywords", "FilterKeyword", False),
    ("GET", r"/api/v1/filters", "V1Filter", True),
    ("GET", r"/api/v1/markers", "Marker", "values"),
    ("POST", r"/api/v[12]/media", "MediaAttachment", False),
    ("GET", r"/api/v1/media/\d+", "MediaAttachment", False),
    ("PUT", r"/api/v1/media/\d+", "MediaAttachment", False),
    ("GET", r"/api/v1/polls/\d+", "Poll", False),
    ("POST", r"/api/v1/polls/\d+/votes", "Poll", False),
    ("POST", r"/api/v1/markers", "Marker", "values"),
    ("GET", r"/api/v[12]/admin/accounts", "AdminAccount", True),
    ("GET", r"/api/v1/admin/accounts/\d+", "AdminAccount", False),
    ("DELETE", r"/api/v1/admin/accounts/\d+", "AdminAccount", False),
    ("POST", r"/api/v1/admin/accounts/\d+/(approve|reject|enable|unsuspend|role)", "AdminAccount", False),
    ("GET", r"/api/v1/admin/domain_blocks/?", "AdminDomainBlock", True),
    ("GET", r"/api/v1/admin/domain_blocks/[^/]+", "AdminDomainBlock", False),
    ("POST", r"/api/v1/admin/domain_blocks/?", "AdminDomainBlock", False),
    ("PUT", r"/api/v1/admin/domain_blocks/[^/]+", "AdminDomainBlock", False),
    ("GET", r"/api/v1/admin/reports", "AdminReport", True),
    ("GET", r"/api/v1/admin/reports/\d+", "AdminReport", False),
    ("POST", r"/api/v1/admin/reports/\d+/\w+", "AdminReport", False),
    ("GET", r"/api/v1/admin/domain_allows/?", "AdminDomainAllow", True),
    ("GET", r"/api/v1/admin/domain_allows/[^/]+", "AdminDomainAllow", False),
    ("POST", r"/api/v1/admin/domain_allows/?", "AdminDomainAllow", False),
]

# Known mistakes of the description, each explained. None so far.
KNOWN_SPEC_BUGS = {}


def test_every_response_matches_the_description(responses, spec):
    registry = Registry().with_resource("urn:mastodon", DRAFT202012.create_resource(spec))
    checked, problems = 0, []
    for status, method, path, body in responses:
        shape = next(((s, many) for m, p, s, many in SHAPES if m == method and re.fullmatch(p, path)), None)
        if status >= 400:
            shape = ("Error", False)
        if shape is None:
            continue
        schema, many = shape
        validator = Draft202012Validator({"$ref": f"urn:mastodon#/components/schemas/{schema}"}, registry=registry)
        items = body.values() if many == "values" else body if many else [body]
        for item in items:
            checked += 1
            for error in validator.iter_errors(item):
                where = "/".join(str(p) for p in error.absolute_path)
                if (schema, where) not in KNOWN_SPEC_BUGS:
                    problems.append(f"{method} {path} ({schema}) at {where or '.'}: {error.message[:200]}")
    assert checked > 20, f"only {checked} responses were checked"
    assert not problems, "\n".join(problems[:30])
