"""Atom feeds read by a feed parser (feedparser from PyPI): a person's, a community's and a
hashtag's feeds hold exactly their public posts, and pages point to them."""

import feedparser
import requests
from test_session import tiny_png


def feed(base, path):
    response = requests.get(base + path)
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    assert response.headers["Content-Type"].startswith("application/atom+xml")
    parsed = feedparser.parse(response.text)
    assert not parsed.bozo, (path, parsed.bozo_exception)
    assert parsed.version == "atom10"
    return parsed


def post(base, api, body):
    response = requests.post(
        base + "/api/v1/statuses", json=body, headers={"Authorization": f"Bearer {api.access_token}"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_feeds_hold_public_posts_only(alpha, alice, carol):
    auth = {"Authorization": f"Bearer {alice.access_token}"}
    public = alice.status_post("Feed readers follow us now #guildfeeds", visibility="public")
    alice.status_post("Unlisted, off the feeds #guildfeeds", visibility="unlisted")
    alice.status_post("For followers only #guildfeeds", visibility="private")
    carols = carol.status_post("Carol's public word #guildfeeds", visibility="public")

    person = feed(alpha, "/feeds/users/alice.atom")
    assert person.feed.link == alpha + "/users/alice"
    texts = [entry.content[0].value for entry in person.entries]
    assert any("Feed readers follow us now" in t for t in texts), texts
    assert not any("Unlisted" in t or "followers only" in t or "Carol" in t for t in texts), texts
    newest = person.entries[0]
    assert newest.id == public["uri"]
    assert newest.link == f"{alpha}/statuses/{public['id']}"
    assert "alice" in newest.author

    # Attachments come as enclosures, and inline for readers that show only the content.
    picture = alice.media_post(tiny_png(), mime_type="image/png", description="the release chart")
    pictured = alice.status_post("This week's chart", media_ids=[picture], visibility="public")
    person = feed(alpha, "/feeds/users/alice.atom")
    entry = next(e for e in person.entries if e.id == pictured["uri"])
    enclosures = [link for link in entry.links if link.rel == "enclosure"]
    assert len(enclosures) == 1, entry.links
    assert enclosures[0].type == "image/png"
    assert int(enclosures[0].length) > 0
    served = requests.get(enclosures[0].href)
    assert served.status_code == 200 and served.content.startswith(b"\x89PNG")
    assert 'alt="the release chart"' in entry.content[0].value
    alice.status_delete(pictured)  # the other tests count alice's posts with media

    tagged = feed(alpha, "/feeds/tags/guildfeeds.atom")
    shown = sorted(e.link.rsplit("/", 1)[1] for e in tagged.entries)
    assert shown == sorted([public["id"], carols["id"]])

    for name, visibility, policy in [("feeders", "public", "open"), ("feeders_inner", "members", "approval")]:
        body = {"name": name, "visibility": visibility, "membership_policy": policy}
        response = requests.post(alpha + "/api/v1/guild/communities", json=body, headers=auth)
        assert response.status_code == 200, response.text
    post(alpha, alice, {"status": "@feeders Notes from the week", "title": "Weekly notes"})
    post(alpha, alice, {"status": "@feeders_inner Not for the outside", "title": "Inner notes"})
    community = feed(alpha, "/feeds/c/feeders.atom")
    assert [e.title for e in community.entries] == ["Weekly notes"]
    assert requests.get(alpha + "/feeds/c/feeders_inner.atom").status_code == 404
    assert requests.get(alpha + "/feeds/users/nobody_here.atom").status_code == 404

    page = requests.get(alpha + "/c/feeders").text
    assert '<link rel="alternate" type="application/atom+xml"' in page
    assert 'href="/feeds/c/feeders.atom"' in page
    assert 'href="/feeds/users/alice.atom"' in requests.get(alpha + "/users/alice").text
