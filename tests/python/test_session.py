"""A Mastodon.py session against Guild: sign in, post, interact, page, follow across instances."""

import struct
import time
import zlib
from urllib.parse import urlparse

import pytest
import requests
from conftest import login
from mastodon import StreamListener


def eventually(check, what, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting until {what}")


def test_signed_in(alice):
    me = alice.account_verify_credentials()
    assert me.username == "alice"
    assert me.acct == "alice"
    assert "4.2.0 (compatible; Guild" in alice.instance().version


def test_post_reply_favourite_boost_delete(alice, carol):
    post = alice.status_post("Hello from Mastodon.py", visibility="public")
    assert post.content == "<p>Hello from Mastodon.py</p>"
    reply = carol.status_post("A reply", in_reply_to_id=post.id)
    assert reply.in_reply_to_id == post.id
    liked = carol.status_favourite(post.id)
    assert liked.favourited and liked.favourites_count == 1
    boost = carol.status_reblog(post.id)
    assert boost.reblog.id == post.id
    assert alice.status(post.id).replies_count == 1
    carol.status_unreblog(post.id)
    carol.status_unfavourite(post.id)
    again = alice.status(post.id)
    assert (again.favourites_count, again.reblogs_count) == (0, 0)
    deleted = carol.status_delete(reply.id)
    assert deleted.text == "A reply"


def test_idempotency_key_posts_once(alice):
    first = alice.status_post("Posted once", idempotency_key="guild-test-key")
    again = alice.status_post("Posted once", idempotency_key="guild-test-key")
    assert first.id == again.id


def test_home_timeline_pages(alice):
    posted = [alice.status_post(f"page test {n}").id for n in range(5)]
    first = alice.timeline_home(limit=2)
    assert len(first) == 2
    seen = list(first)
    page = first
    while len(seen) < 5:
        page = alice.fetch_next(page)
        assert page, "fetch_next stopped early"
        seen.extend(page)
    ids = [s.id for s in seen[:5]]
    assert ids == sorted(posted, reverse=True)
    assert len(set(ids)) == 5


def test_follow_remote_person_and_join_remote_community(alice, beta):
    domain = urlparse(beta).netloc
    bob = alice.account_lookup(f"bob@{domain}")
    assert bob.acct == f"bob@{domain}"
    alice.account_follow(bob.id)
    eventually(lambda: alice.account_relationships(bob.id)[0].following, "bob accepts alice")
    community = alice.account_lookup(f"practice@{domain}")
    assert community.group is True
    alice.account_follow(community.id)
    eventually(lambda: alice.account_relationships(community.id)[0].following, "alice joins the community")
    found = alice.search_v2(f"bob@{domain}", resolve=True)
    assert [a.id for a in found.accounts] == [bob.id]


def test_mention_posts_into_a_remote_community(alice, beta):
    from mastodon import Mastodon
    domain = urlparse(beta).netloc
    post = alice.status_post(f"@practice@{domain} Where do we keep runbooks?")
    assert [m.acct for m in post.mentions] == [f"practice@{domain}"]
    assert 'class="u-url mention"' in post.content
    reader = Mastodon(api_base_url=beta)
    community = reader.account_lookup("practice")

    def arrived():
        return any(s.uri == post.uri for s in reader.account_statuses(community.id))
    eventually(arrived, "the post reaches the community on beta")


def test_direct_posts_reach_only_who_they_mention(alpha, alice, carol):
    from mastodon import Mastodon, MastodonNotFoundError
    secret = carol.status_post("@alice just between us", visibility="direct")
    assert alice.status(secret.id).visibility == "direct"
    try:
        Mastodon(api_base_url=alpha).status(secret.id)
    except MastodonNotFoundError:
        pass
    else:
        raise AssertionError("an anonymous reader saw a direct post")


def test_profile_locked_account_and_follow_requests(alice, carol):
    me = carol.account_update_credentials(display_name="Carol C.", note="Platform <team>", locked=True)
    assert me.display_name == "Carol C." and me.locked is True
    assert me.note == "<p>Platform &lt;team&gt;</p>"
    carol_id = me.id
    alice.account_unfollow(carol_id)
    relationship = alice.account_follow(carol_id)
    assert relationship.requested and not relationship.following
    requests = carol.follow_requests()
    assert [a.username for a in requests] == ["alice"]
    decided = carol.follow_request_authorize(requests[0].id)
    assert decided.followed_by is True
    assert alice.account_relationships(carol_id)[0].following
    assert "alice" in [a.username for a in carol.account_followers(carol_id)]
    assert "carol" in [a.username for a in alice.account_following(alice.me().id)]
    carol.account_update_credentials(locked=False)


def test_read_only_scope_is_refused(alpha):
    from mastodon import Mastodon, MastodonAPIError
    from conftest import session
    client_id, client_secret = Mastodon.create_app(
        "read-only", api_base_url=alpha, scopes=["read"], redirect_uris="urn:ietf:wg:oauth:2.0:oob", session=session())
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=alpha, session=session())
    api.log_in("carol", "password123", scopes=["read"], allow_http=True)
    try:
        api.status_post("should not be posted")
    except MastodonAPIError as e:
        assert "scope" in str(e)
    else:
        raise AssertionError("a read-only token posted")


def test_notifications_between_two_users(alice, carol):
    alice.notifications_clear()
    post = alice.status_post("Notify me")
    carol.status_favourite(post.id)
    carol.status_reblog(post.id)
    carol.status_post("Replying", in_reply_to_id=post.id)
    carol.account_follow(alice.me().id)
    kinds = sorted(n.type for n in alice.notifications())
    assert kinds == ["favourite", "follow", "mention", "reblog"], kinds
    only = alice.notifications(types=["favourite"])
    assert [n.type for n in only] == ["favourite"] and only[0].account.username == "carol"
    assert only[0].status.id == post.id
    rest = alice.notifications(exclude_types=["favourite", "reblog"])
    assert sorted(n.type for n in rest) == ["follow", "mention"]
    one = alice.notifications(id=only[0].id)
    assert one.type == "favourite"
    alice.notifications_dismiss(only[0].id)
    assert len(alice.notifications()) == 3
    alice.notifications_clear()
    assert alice.notifications() == []


def test_threads_edits_and_who_interacted(alice, carol):
    root = alice.status_post("Thread root")
    reply = carol.status_post("First reply", in_reply_to_id=root.id)
    nested = alice.status_post("Nested reply", in_reply_to_id=reply.id)
    context = alice.status_context(reply.id)
    assert [s.id for s in context.ancestors] == [root.id]
    assert [s.id for s in context.descendants] == [nested.id]
    assert [s.id for s in alice.status_context(nested.id).ancestors] == [root.id, reply.id]
    assert [s.id for s in alice.status_context(root.id).descendants] == [reply.id, nested.id]
    edited = alice.status_update(root.id, status="Thread root, edited")
    assert edited.content == "<p>Thread root, edited</p>" and edited.edited_at is not None
    assert alice.status_source(root.id).text == "Thread root, edited"
    carol.status_favourite(root.id)
    carol.status_reblog(root.id)
    assert [a.username for a in alice.status_favourited_by(root.id)] == ["carol"]
    assert [a.username for a in alice.status_reblogged_by(root.id)] == ["carol"]


def test_read_markers(alice):
    post = alice.status_post("Mark me read")
    alice.markers_set(["home"], [post.id])
    home = alice.markers_get(["home"])["home"]
    assert home.last_read_id == str(post.id) and home.version == 0
    alice.markers_set(["home", "notifications"], [post.id, "1"])
    both = alice.markers_get(["home", "notifications"])
    assert both["home"].version == 1 and both["notifications"].last_read_id == "1"


def test_start_up_calls_answer(alice):
    assert alice.custom_emojis() == []
    assert alice.lists() == []
    assert alice.filters_v2() == []
    prefs = alice.preferences()
    assert prefs["posting:default:visibility"] == "public"


def test_bookmarks_history_and_directory(alice, carol):
    kept = carol.status_post("Worth keeping")
    assert alice.status_bookmark(kept.id).bookmarked is True
    assert [s.id for s in alice.bookmarks()] == [kept.id]
    assert alice.status_unbookmark(kept.id).bookmarked is False
    assert alice.bookmarks() == []
    alice.status_favourite(kept.id)
    assert [s.id for s in alice.favourites()] == [kept.id]
    own = alice.status_post("First draft")
    alice.status_update(own.id, status="Second draft")
    alice.status_update(own.id, status="Final")
    versions = alice.status_history(own.id)
    assert [v.content for v in versions] == ["<p>First draft</p>", "<p>Second draft</p>", "<p>Final</p>"]
    listed = alice.directory(local=True, order="new")
    assert {"alice", "carol"} <= {a.username for a in listed}


def test_report_reaches_the_remote_communitys_moderators(alice, carol, beta):
    domain = urlparse(beta).netloc
    post = alice.status_post(f"@practice@{domain} Buy my course!")
    report = carol.report(alice.me().id, status_ids=[post.id], comment="an advert")
    assert report.comment == "an advert" and report.target_account.username == "alice"
    bob = login(beta, "bob")  # owns practice on beta
    community = bob.account_lookup("practice")
    headers = {"Authorization": f"Bearer {bob.access_token}"}

    def reported():
        r = requests.get(f"{beta}/api/v1/guild/communities/{community.id}/reports", headers=headers)
        return any(item["comment"] == "an advert" for item in r.json())
    eventually(reported, "the report reaches practice's moderators")
    told = bob.notifications(types=["admin.report"])
    assert told and told[0].report.comment == "an advert"
    assert told[0].report.target_account.username == "alice"


def test_mutes_and_blocks(alice, carol, beta):
    from mastodon import MastodonAPIError, MastodonNotFoundError
    carol_id = carol.me().id
    alice_id = alice.me().id
    noisy = carol.status_post("A noisy post")
    assert alice.account_mute(carol_id).muting is True
    assert [a.id for a in alice.mutes()] == [carol_id]
    assert noisy.id not in [s.id for s in alice.timeline_public(local=True)]
    before = len(alice.notifications())
    quiet = alice.status_post("Please favourite")
    carol.status_favourite(quiet.id)
    assert len(alice.notifications()) == before, "a muted person's favourite notifies no one"
    alice.account_unmute(carol_id)
    assert noisy.id in [s.id for s in alice.timeline_public(local=True)]

    alice.account_follow(carol_id)
    blocked = alice.account_block(carol_id)
    assert blocked.blocking is True and blocked.following is False
    assert carol.account_relationships(alice_id)[0].blocked_by is True
    assert [a.id for a in alice.blocks()] == [carol_id]
    try:
        carol.status(quiet.id)
    except MastodonNotFoundError:
        pass
    else:
        raise AssertionError("a blocked person saw the blocker's post")
    try:
        carol.account_follow(alice_id)
    except MastodonAPIError:
        pass
    else:
        raise AssertionError("a blocked person could follow the blocker")
    alice.account_unblock(carol_id)
    assert carol.status(quiet.id).id == quiet.id

    # Blocking someone on another instance tells their server, which ends the follow there.
    domain = urlparse(beta).netloc
    bob = alice.account_lookup(f"bob@{domain}")
    alice.account_block(bob.id)
    bob_client = login(beta, "bob")
    alice_on_beta = bob_client.account_lookup(f"alice@{urlparse(alice.api_base_url).netloc}")
    eventually(lambda: bob_client.account_relationships(alice_on_beta.id)[0].blocked_by, "beta learns of the block")
    assert bob_client.account_relationships(alice_on_beta.id)[0].followed_by is False
    alice.account_unblock(bob.id)


def test_hashtags(alice, carol):
    first = carol.status_post("Learning #Rust at work")
    assert first.id in [s.id for s in alice.timeline_hashtag("rust")]
    found = alice.search_v2("#ru", result_type="hashtags")
    assert "rust" in [t.name for t in found.hashtags]
    assert alice.tag_follow("rust").following is True
    assert [t.name for t in alice.followed_tags()] == ["rust"]
    later = carol.status_post("More #rust: lifetimes")
    assert later.id in [s.id for s in alice.timeline_home()], "a followed tag comes home"
    assert alice.tag_unfollow("rust").following is False
    assert alice.followed_tags() == []


def test_lists(alice, carol):
    from mastodon import MastodonAPIError
    carol_id = carol.me().id
    alice.account_follow(carol_id)
    team = alice.list_create("Team")
    alice.list_accounts_add(team.id, [carol_id])
    assert [a.id for a in alice.list_accounts(team.id)] == [carol_id]
    post = carol.status_post("For the team")
    assert post.id in [s.id for s in alice.timeline_list(team.id)]
    renamed = alice.list_update(team.id, "Team A", replies_policy="followed")
    assert renamed.title == "Team A" and alice.list(team.id).replies_policy == "followed"
    assert [x.id for x in alice.account_lists(carol_id)] == [team.id]
    try:
        alice.list_accounts_add(team.id, [alice.me().id])
    except MastodonAPIError:
        pass
    else:
        raise AssertionError("an account alice does not follow went into her list")
    alice.list_accounts_delete(team.id, [carol_id])
    assert alice.list_accounts(team.id) == []
    alice.list_delete(team.id)
    assert alice.lists() == []


def test_conversations(alice, carol):
    first = carol.status_post("@alice shall we pair on this?", visibility="direct")
    reply = alice.status_post("@carol yes, after lunch", visibility="direct", in_reply_to_id=first.id)
    conversations = alice.conversations()
    latest = conversations[0]
    assert latest.last_status.id == reply.id
    assert [a.username for a in latest.accounts] == ["carol"]
    assert len([c for c in conversations if c.id == latest.id]) == 1, "one entry per thread"
    assert carol.conversations()[0].last_status.id == reply.id


def test_profile_pins(alice, alpha):
    import requests as http
    post = alice.status_post("Read this first")
    assert alice.status_pin(post.id).pinned is True
    me = alice.me()
    assert [s.id for s in alice.account_statuses(me.id, pinned=True)] == [post.id]
    featured = http.get(f"{alpha}/users/alice/featured", headers={"Accept": "application/activity+json"}).json()
    assert featured["orderedItems"] == [post.uri]
    assert alice.status_unpin(post.id).pinned is False
    assert alice.account_statuses(me.id, pinned=True) == []


def test_account_search_tagged_and_update_notifications(alice, carol):
    assert "carol" in [a.username for a in alice.account_search("car")]
    assert "carol" in [a.username for a in alice.search_v2("caro", result_type="accounts").accounts]
    post = alice.status_post("Draft of #notes")
    carol.status_reblog(post.id)
    alice.status_update(post.id, status="Final #notes")
    updates = carol.notifications(types=["update"])
    assert updates and updates[0].status.id == post.id
    assert [s.id for s in alice.account_statuses(alice.me().id, tagged="notes")] == [post.id]
    assert alice.account_statuses(alice.me().id, only_media=True) == []


def test_keyword_filters(alice, carol):
    spoilers = alice.create_filter_v2(
        "Spoilers", ["home", "public"], "warn",
        keywords_attributes=[{"keyword": "finale", "whole_word": True}],
    )
    post = carol.status_post("The finale was great")
    seen = next(s for s in alice.timeline_public(local=True) if s.id == post.id)
    assert seen.filtered[0].filter.title == "Spoilers"
    assert seen.filtered[0].keyword_matches == ["finale"]
    alice.update_filter_v2(spoilers.id, filter_action="hide")
    assert post.id not in [s.id for s in alice.timeline_public(local=True)], "hidden in public"
    again = alice.status_post("Season two finale soon")
    carol.status_reblog(again.id)
    home = alice.timeline_home()
    assert not any(s.id == again.id or (s.reblog and s.reblog.id == again.id) for s in home), "boosts too"
    assert carol.status(post.id).filtered == [], "someone else's filters do not apply"
    alice.add_filter_keyword_v2(spoilers.id, "ending", whole_word=False)
    assert {k.keyword for k in alice.filter_keywords_v2(spoilers.id)} == {"finale", "ending"}
    assert {f.phrase for f in alice.filters()} == {"finale", "ending"}
    from mastodon import MastodonAPIError
    try:
        alice.create_filter_v2("Forever", ["home"], "warn", expires_in=99999999999999)
    except MastodonAPIError:
        pass
    else:
        raise AssertionError("an expiry past any calendar was taken")
    alice.delete_filter_v2(spoilers.id)
    assert alice.filters_v2() == []
    assert post.id in [s.id for s in alice.timeline_public(local=True)]


def tiny_png(width=8, height=4):
    """A real PNG, made by hand: a red bar."""
    raw = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))

    def chunk(kind, data):
        crc = zlib.crc32(kind + data)
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def test_avatar_upload(alice):
    from mastodon import MastodonAPIError
    me = alice.account_update_credentials(avatar=tiny_png(), avatar_mime_type="image/png")
    assert "/media/" in me.avatar
    served = requests.get(me.avatar)
    assert served.headers["Content-Type"] == "image/png" and served.content.startswith(b"\x89PNG")
    with pytest.raises(MastodonAPIError):
        alice.account_update_credentials(header=b"<svg onload=alert(1)>", header_mime_type="image/svg+xml")


def test_media_upload_attach_and_read(alice, carol, beta):
    from mastodon import Mastodon, MastodonAPIError
    media = alice.media_post(tiny_png(), mime_type="image/png", description="a red bar", focus=(0.5, -0.25))
    assert media.type == "image"
    assert (media.meta.original.width, media.meta.original.height) == (8, 4)
    assert media.meta.focus.x == 0.5 and media.blurhash
    served = requests.get(media.url)
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in served.headers["Cache-Control"]
    alice.media_update(media.id, description="a red bar, wider than tall")

    # Posted into a community on beta, the picture travels with its alt text.
    domain = urlparse(beta).netloc
    post = alice.status_post(f"@practice@{domain} Our team's colour", media_ids=[media.id])
    assert [m.id for m in post.media_attachments] == [media.id]
    assert post.media_attachments[0].description == "a red bar, wider than tall"
    mine = alice.account_statuses(alice.me().id, only_media=True)
    assert [s.id for s in mine] == [post.id]
    reader = Mastodon(api_base_url=beta)
    community = reader.account_lookup("practice")

    def arrived():
        copies = [s for s in reader.account_statuses(community.id) if s.uri == post.uri]
        return copies and copies[0].media_attachments
    eventually(arrived, "the post reaches beta with its picture")
    copy = [s for s in reader.account_statuses(community.id) if s.uri == post.uri][0]
    remote = copy.media_attachments[0]
    assert remote.remote_url == media.url and remote.url == media.url
    assert remote.description == "a red bar, wider than tall" and remote.blurhash == media.blurhash

    # Edits change the attachments; the history keeps each version's, and beta follows.
    square = alice.media_post(tiny_png(4, 4), mime_type="image/png", description="a square")
    edited = alice.status_update(post.id, f"@practice@{domain} Our team's colours", media_ids=[square.id, media.id])
    assert [m.id for m in edited.media_attachments] == [square.id, media.id]
    alice.status_update(post.id, f"@practice@{domain} Just the square", media_ids=[square.id])
    history = alice.status_history(post.id)
    assert [[m.id for m in v.media_attachments] for v in history] == [[media.id], [square.id, media.id], [square.id]]

    def edited_on_beta():
        copies = [s for s in reader.account_statuses(community.id) if s.uri == post.uri]
        return [m.description for m in copies[0].media_attachments] == ["a square"]
    eventually(edited_on_beta, "beta's copy carries the square alone")

    # Only one's own unattached uploads can be attached.
    theirs = carol.media_post(tiny_png(), mime_type="image/png")
    with pytest.raises(MastodonAPIError):
        alice.status_post("not mine", media_ids=[theirs.id])
    with pytest.raises(MastodonAPIError):
        alice.status_post("attached already", media_ids=[media.id])
    with pytest.raises(MastodonAPIError):
        alice.media_post(b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', mime_type="image/svg+xml")

    # Documents are kept as they are and served as downloads.
    pdf = alice.media_post(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", mime_type="application/pdf")
    assert pdf.type == "unknown"
    download = requests.get(pdf.url)
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"] == "attachment"
    only_file = alice.status_post("", media_ids=[pdf.id])
    assert only_file.media_attachments[0].url == pdf.url


def test_polls(alice, carol):
    from mastodon import MastodonAPIError
    poll = alice.make_poll(["Tabs", "Spaces"], expires_in=3600, multiple=False)
    post = alice.status_post("Which do we indent with?", poll=poll)
    assert [o.title for o in post.poll.options] == ["Tabs", "Spaces"]
    voted = carol.poll_vote(post.poll.id, [1])
    assert voted.voted is True and voted.own_votes == [1]
    assert [o.votes_count for o in voted.options] == [0, 1]
    with pytest.raises(MastodonAPIError):
        carol.poll_vote(post.poll.id, [0])
    assert alice.poll(post.poll.id).voters_count == 1


class Collect(StreamListener):
    """Keeps what a stream sends."""

    def __init__(self):
        super().__init__()
        self.updates, self.notifications, self.deletes = [], [], []

    def on_update(self, status):
        self.updates.append(status)

    def on_notification(self, notification):
        self.notifications.append(notification)

    def on_delete(self, status_id):
        self.deletes.append(str(status_id))


def test_streaming_over_server_sent_events_and_websocket(alice, carol):
    events = Collect()
    sse = alice.stream_user(events, run_async=True)
    live = Collect()
    websocket = alice.stream_open_websocket(listener=live)
    alice.stream_public(live, websocket_handle=websocket, local=True)
    eventually(lambda: sse.is_receiving() and websocket.is_receiving(), "both streams to connect")

    def streams_open():
        # The subscription is read after the handshake; post until a post reaches both.
        warm = alice.status_post("are the streams open?")
        time.sleep(0.5)
        return any(u.id == warm.id for u in events.updates) and any(u.id == warm.id for u in live.updates)

    eventually(streams_open, "the streams are open")

    status = alice.status_post("streamed as it happens")
    eventually(lambda: any(u.id == status.id for u in events.updates), "the post on the user stream")
    eventually(lambda: any(u.id == status.id for u in live.updates), "the post on the public stream")
    carol.status_post("@alice are you watching?")
    eventually(lambda: any(n.type == "mention" for n in events.notifications), "the mention")
    alice.status_delete(status)
    eventually(lambda: str(status.id) in events.deletes, "the deletion")
    sse.close()
    websocket.close()
