// An independent ActivityPub implementation as a peer: a Fedify (npm) server on a local port
// with a person, "fedi", who joins a Guild community, posts into it, is moderated, reports a
// post, reads a question and its accepted answer, and tries to read a members-only
// community; and a Lemmy-shaped community, "lemmings", that a Guild person joins and whose
// threads and moderation reach Guild.
// Fedify signs with RFC 9421 first and falls back to draft-cavage only when refused, so
// every delivery here also checks that Guild takes RFC 9421 signatures at the first knock.
// `tests/fedify_peer.rs` starts Guild and passes its URL in GUILD_ALPHA.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { Temporal } from "@js-temporal/polyfill";
import { png } from "./png.mjs";
import {
  Accept,
  Announce,
  Block,
  Collection,
  Create,
  createFederation,
  Document,
  Endpoints,
  exportJwk,
  Flag,
  Follow,
  generateCryptoKeyPair,
  Group,
  importJwk,
  Like,
  Mention,
  MemoryKvStore,
  Note,
  Page,
  Person,
  PUBLIC_COLLECTION,
  Question,
  signRequest,
} from "@fedify/fedify";

const alpha = process.env.GUILD_ALPHA;
const alphaHost = new URL(alpha).host;
const received = [];
const notes = new Map();
let keys;
let server;
let base;

const kv = new MemoryKvStore();
const federation = createFederation({
  kv,
  allowPrivateAddress: true, // Guild listens on localhost in tests
});

federation
  .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
    if (!["fedi", "lem", "lemmings"].includes(identifier)) return null;
    const pairs = await ctx.getActorKeyPairs(identifier);
    const Kind = identifier === "lemmings" ? Group : Person;
    return new Kind({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: identifier === "lemmings" ? "Lemmings" : "Fedi Peer",
      inbox: ctx.getInboxUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: pairs[0].cryptographicKey,
      assertionMethods: pairs.map((p) => p.multikey),
    });
  })
  .setKeyPairsDispatcher(async (_ctx, identifier) => {
    if (!["fedi", "lem", "lemmings"].includes(identifier)) return [];
    return [{
      privateKey: await importJwk(keys.privateKey, "private"),
      publicKey: await importJwk(keys.publicKey, "public"),
    }];
  });

federation.setObjectDispatcher(Note, "/notes/{id}", (_ctx, values) => notes.get(values.id) ?? null);
federation.setObjectDispatcher(Page, "/posts/{id}", (_ctx, values) => notes.get(`post-${values.id}`) ?? null);

federation
  .setInboxListeners("/users/{identifier}/inbox", "/inbox")
  .on(Accept, async (_ctx, activity) => received.push(await activity.toJsonLd()))
  .on(Announce, async (_ctx, activity) => received.push(await activity.toJsonLd()))
  .on(Block, async (_ctx, activity) => received.push(await activity.toJsonLd()))
  .on(Create, async (_ctx, activity) => received.push(await activity.toJsonLd()))
  // The Lemmy-shaped community accepts whoever asks to join.
  .on(Follow, async (ctx, follow) => {
    if (follow.objectId?.href !== ctx.getActorUri("lemmings").href) return;
    const follower = await follow.getActor();
    const accept = new Accept({ id: new URL(`${base}/accepts/${Date.now()}`), actor: follow.objectId, object: follow });
    await ctx.sendActivity({ identifier: "lemmings" }, follower, accept, { immediate: true });
    received.push(await follow.toJsonLd());
  });

/// Node's HTTP server in front of Fedify's fetch handler.
function serve() {
  return http.createServer(async (req, res) => {
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const body = chunks.length ? Buffer.concat(chunks) : undefined;
    const request = new Request(new URL(req.url, base), {
      method: req.method,
      headers: req.headers,
      body: ["GET", "HEAD"].includes(req.method) ? undefined : body,
    });
    const response = await federation.fetch(request, {
      contextData: undefined,
      onNotFound: () => new Response("not found", { status: 404 }),
      onNotAcceptable: () => new Response("not acceptable", { status: 406 }),
    });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  });
}

before(async () => {
  const pair = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
  keys = { privateKey: await exportJwk(pair.privateKey), publicKey: await exportJwk(pair.publicKey) };
  server = serve();
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://localhost:${server.address().port}`;
});

after(() => server.close());

const context = () => federation.createContext(new URL(base), undefined);
const fedi = () => context().getActorUri("fedi");

async function eventually(check, what, seconds = 30) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    const found = await check();
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting until ${what}`);
}

async function token(username) {
  const post = async (path, body) => {
    const response = await fetch(alpha + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    return response.json();
  };
  const app = await post("/api/v1/apps", { client_name: "fedify-peer-test", redirect_uris: "urn:ietf:wg:oauth:2.0:oob", scopes: "read write follow" });
  const grant = await post("/oauth/token", { grant_type: "password", client_id: app.client_id, client_secret: app.client_secret, username, password: "password123", scope: "read write follow" });
  return grant.access_token;
}

async function api(bearer, method, path, body) {
  const response = await fetch(alpha + path, {
    method,
    headers: { Authorization: `Bearer ${bearer}`, "Content-Type": "application/json" },
    body: body && JSON.stringify(body),
  });
  const text = await response.text();
  assert.equal(response.status, 200, `${method} ${path}: ${text}`);
  return JSON.parse(text);
}

async function lookupCommunity(name) {
  const group = await context().lookupObject(`${alpha}/c/${name}`);
  assert.ok(group, `${name} is readable by Fedify`);
  return group;
}

test("a Fedify person joins a Guild community, posts, is moderated, reports and is banned", async () => {
  const ann = await token("ann");
  const makers = await lookupCommunity("makers");
  assert.equal(makers.preferredUsername, "makers");

  // Join: Follow, answered with Accept.
  const follow = new Follow({ id: new URL(`${base}/follows/1`), actor: fedi(), object: makers.id });
  await context().sendActivity({ identifier: "fedi" }, makers, follow, { immediate: true });
  await eventually(() => received.find((a) => a.type === "Accept"), "Guild accepts the Follow");

  // Post into the community, Mastodon-style: a Note that mentions it.
  const noteId = new URL(`${base}/notes/1`);
  const note = new Note({
    id: noteId,
    attribution: fedi(),
    content: `<p><a href="${makers.id.href}" class="mention">@makers</a> Hello from Fedify</p>`,
    tags: [new Mention({ href: makers.id, name: `@makers@${alphaHost}` })],
    attachments: [new Document({ mediaType: "image/png", url: new URL(`${base}/files/bench.png`), name: "a workbench", width: 1200, height: 800 })],
    tos: [PUBLIC_COLLECTION],
    ccs: [makers.id],
  });
  notes.set("1", note);
  const create = new Create({ id: new URL(`${base}/creates/1`), actor: fedi(), object: note, tos: [PUBLIC_COLLECTION], ccs: [makers.id] });
  await context().sendActivity({ identifier: "fedi" }, makers, create, { immediate: true });
  const anonymous = (path) => fetch(alpha + path).then((r) => r.json());
  const community = await anonymous(`/api/v1/accounts/lookup?acct=makers`);
  const stored = await eventually(async () => (await anonymous(`/api/v1/accounts/${community.id}/statuses`)).find((s) => s.uri === noteId.href), "the post is in the community");
  // Its picture is kept, linked where the peer serves it, with its alt text and size.
  assert.equal(stored.media_attachments.length, 1);
  const [picture] = stored.media_attachments;
  assert.equal(picture.type, "image");
  assert.equal(picture.remote_url, `${base}/files/bench.png`);
  assert.equal(picture.description, "a workbench");
  assert.equal(picture.meta.original.size, "1200x800");

  // A moderator removes it; members hear of it as Lemmy does: Announce(Delete) with the reason.
  await api(ann, "POST", `/api/v1/guild/statuses/${stored.id}/remove`, { reason: "off topic" });
  const removal = await eventually(
    () => received.find((a) => a.type === "Announce" && a.object?.type === "Delete" && a.object?.summary === "off topic"),
    "the removal reaches the peer",
  );
  assert.equal(removal.object.object, noteId.href);
  // The community passes the post on to its other members, not back to the server it came
  // from (Lemmy refuses its own posts relayed back); the moderator's removal does reach it.
  assert.ok(
    !received.find((a) => a.type === "Announce" && JSON.stringify(a.object).includes(`${base}/creates/1`)),
    "the peer's own post is not relayed back to it",
  );
  assert.equal((await fetch(`${alpha}/api/v1/statuses/${stored.id}`)).status, 404);

  // Report a post the Mastodon way: a Flag naming the account and the post.
  const thread = await api(ann, "POST", "/api/v1/statuses", { status: "@makers Show your workbench", title: "Workbenches" });
  const flag = new Flag({
    id: new URL(`${base}/flags/1`),
    actor: fedi(),
    objects: [new URL(thread.account.url), new URL(thread.uri)],
    content: "reported from Fedify",
  });
  await context().sendActivity({ identifier: "fedi" }, makers, flag, { immediate: true });
  await eventually(async () => (await api(ann, "GET", `/api/v1/guild/communities/${community.id}/reports`)).some((r) => r.comment === "reported from Fedify"), "the report reaches the moderators");

  // A member's picture reaches the peer in Mastodon's shape: a Document with its type, URL,
  // alt text, size and blurhash.
  const form = new FormData();
  form.append("file", new Blob([png(6, 3)], { type: "image/png" }), "bar.png");
  form.append("description", "a small bar");
  const upload = await fetch(`${alpha}/api/v2/media`, { method: "POST", headers: { Authorization: `Bearer ${ann}` }, body: form });
  assert.equal(upload.status, 200, await upload.clone().text());
  const media = await upload.json();
  await api(ann, "POST", "/api/v1/statuses", { status: "@makers The bar we use", media_ids: [media.id] });
  const shared = await eventually(
    () => received.find((a) => a.type === "Announce" && a.object?.type === "Create" && JSON.stringify(a.object).includes(media.url)),
    "the picture reaches the peer",
  );
  const relayed = await (await Announce.fromJsonLd(shared)).getObject();
  const sent = await relayed.getObject();
  const [document] = await Array.fromAsync(sent.getAttachments());
  assert.equal(document.mediaType, "image/png");
  assert.equal(document.url.href, media.url);
  assert.equal(document.name.toString(), "a small bar");
  assert.equal(document.width, 6);

  // A thread asked as a question and its accepted answer reach the peer as documents it
  // reads: Guild's `guild:question` and `guild:acceptedAnswer` are properties it may ignore,
  // and the acceptance is an Add of the answer with the question as target.
  const asked = await api(ann, "POST", "/api/v1/statuses", { status: "@makers Which glue for oak?", title: "Glue for oak", question: true });
  const answer = await api(ann, "POST", "/api/v1/statuses", { status: "Titebond III.", in_reply_to_id: asked.id });
  await api(ann, "POST", `/api/v1/guild/statuses/${answer.id}/accept`, {});
  const askedThere = await eventually(
    () => received.find((a) => a.type === "Announce" && a.object?.type === "Create" && JSON.stringify(a.object).includes("Glue for oak")),
    "the question reaches the peer",
  );
  const page = await (await (await Announce.fromJsonLd(askedThere)).getObject()).getObject();
  assert.ok(page instanceof Page, `a Page: ${JSON.stringify(askedThere)}`);
  assert.equal(page.id.href, asked.uri);
  assert.equal(page.name.toString(), "Glue for oak");
  const accepted = await eventually(
    () => received.find((a) => a.type === "Announce" && a.object?.type === "Add" && JSON.stringify(a.object).includes(answer.uri)),
    "the accepted answer reaches the peer",
  );
  const add = await (await Announce.fromJsonLd(accepted)).getObject();
  assert.equal(add.objectId.href, answer.uri);
  assert.equal(add.targetId.href, asked.uri);

  // A ban reaches the banned person's server as Block with the community as target.
  const fediOnAlpha = await api(ann, "GET", `/api/v1/accounts/lookup?acct=fedi@${new URL(base).host}`);
  await api(ann, "POST", `/api/v1/guild/communities/${community.id}/bans`, { account_id: fediOnAlpha.id, reason: "test ban" });
  const ban = await eventually(() => received.find((a) => JSON.stringify(a).includes("test ban")), "the ban reaches the peer");
  assert.ok(JSON.stringify(ban).includes(makers.id.href));
});

test("a members-only community's posts stay shut to a Fedify non-member", async () => {
  const ann = await token("ann");
  const inner = await lookupCommunity("inner");
  const secret = await api(ann, "POST", "/api/v1/statuses", { status: "@inner quarterly numbers" });
  assert.equal(secret.visibility, "private");
  const plain = await fetch(secret.uri, { headers: { Accept: "application/activity+json" } });
  assert.equal(plain.status, 404, "unsigned fetch");
  const signedLoader = await context().getDocumentLoader({ identifier: "fedi" });
  await assert.rejects(signedLoader(secret.uri), "a signed fetch by a non-member");
  // Asking to join leaves the peer waiting: the community needs approval.
  const follow = new Follow({ id: new URL(`${base}/follows/2`), actor: fedi(), object: inner.id });
  await context().sendActivity({ identifier: "fedi" }, inner, follow, { immediate: true });
  const requests = await eventually(async () => {
    const list = await api(ann, "GET", `/api/v1/guild/communities/${(await api(ann, "GET", "/api/v1/accounts/lookup?acct=inner")).id}/join_requests`);
    return list.length ? list : null;
  }, "the join request reaches the moderators");
  assert.match(requests[0].acct, /^fedi@/);
  assert.ok(!received.some((a) => JSON.stringify(a).includes("quarterly numbers")), "nothing was delivered");
});

/// POST raw JSON to a Guild inbox, signed by one of the peer's actors: for Lemmy's shapes
/// (`Lock` and the like), which ActivityStreams vocabularies do not know.
async function postSigned(identifier, inbox, activity) {
  const pairs = await context().getActorKeyPairs(identifier);
  const request = new Request(inbox, {
    method: "POST",
    headers: { "Content-Type": "application/activity+json", Accept: "application/activity+json" },
    body: JSON.stringify(activity),
  });
  const signed = await signRequest(request, pairs[0].privateKey, pairs[0].keyId);
  const response = await fetch(signed);
  assert.equal(response.status, 202, `POST ${inbox}: ${await response.text()}`);
}

test("a Lemmy-shaped community on Fedify federates its threads and moderation into Guild", async () => {
  const gwen = await token("gwen");
  const group = context().getActorUri("lemmings");
  const acct = `lemmings@${new URL(base).host}`;
  const community = await api(gwen, "GET", `/api/v1/accounts/lookup?acct=${acct}`);
  assert.equal(community.group, true);
  await api(gwen, "POST", `/api/v1/accounts/${community.id}/follow`, {});
  await eventually(async () => (await api(gwen, "GET", `/api/v1/accounts/relationships?id[]=${community.id}`))[0].following, "gwen joins lemmings");

  // A thread by lem, as Lemmy sends it: Announce(Create(Page)) with a title and the
  // audience. fedi moderates.
  const lem = context().getActorUri("lem");
  const pageId = new URL(`${base}/posts/1`);
  const page = new Page({
    id: pageId,
    attribution: lem,
    name: "Which lathe should I buy?",
    content: "<p>Budget is small.</p>",
    audience: group,
    tos: [PUBLIC_COLLECTION],
    ccs: [group],
  });
  notes.set("post-1", page);
  const create = new Create({ id: new URL(`${base}/creates/2`), actor: lem, object: page, tos: [PUBLIC_COLLECTION], ccs: [group], audience: group });
  const gwenActor = await context().lookupObject(`${alpha}/users/gwen`);
  const announce = new Announce({ id: new URL(`${base}/announces/1`), actor: group, object: create, tos: [PUBLIC_COLLECTION], ccs: [group] });
  await context().sendActivity({ identifier: "lemmings" }, gwenActor, announce, { immediate: true });
  // It shows as the community's boost, as Mastodon shows a group's posts.
  const entry = await eventually(async () => (await api(gwen, "GET", "/api/v1/timelines/home")).find((s) => s.reblog?.uri === pageId.href), "the thread reaches gwen's home");
  assert.equal(entry.account.username, "lemmings");
  assert.equal(entry.account.group, true);
  const thread = entry.reblog;
  assert.match(thread.content, /Which lathe should I buy\?/);

  // The community's moderator locks it (Lemmy's Lock, announced): gwen may not reply.
  const shared = `${alpha}/inbox`;
  const lock = { id: `${base}/locks/1`, type: "Lock", actor: fedi().href, object: pageId.href, to: [PUBLIC_COLLECTION.href], cc: [group.href], audience: group.href };
  await postSigned("lemmings", shared, { "@context": "https://www.w3.org/ns/activitystreams", id: `${base}/announces/2`, type: "Announce", actor: group.href, to: [PUBLIC_COLLECTION.href], cc: [group.href], object: lock });
  await eventually(async () => {
    const response = await fetch(`${alpha}/api/v1/statuses`, { method: "POST", headers: { Authorization: `Bearer ${gwen}`, "Content-Type": "application/json" }, body: JSON.stringify({ status: "the cheap one", in_reply_to_id: thread.id }) });
    return response.status === 403;
  }, "the lock holds on Guild");

  // Then removes it with a reason (Lemmy's Delete by a moderator): gone from gwen's view.
  const removal = { id: `${base}/removals/1`, type: "Delete", actor: fedi().href, object: pageId.href, summary: "duplicate", to: [PUBLIC_COLLECTION.href], cc: [group.href], audience: group.href };
  await postSigned("lemmings", shared, { "@context": "https://www.w3.org/ns/activitystreams", id: `${base}/announces/3`, type: "Announce", actor: group.href, to: [PUBLIC_COLLECTION.href], cc: [group.href], object: removal });
  await eventually(async () => (await fetch(`${alpha}/api/v1/statuses/${thread.id}`, { headers: { Authorization: `Bearer ${gwen}` } })).status === 404, "the removal holds on Guild");
  const log = await api(gwen, "GET", `/api/v1/guild/communities/${community.id}/moderation_log`);
  assert.deepEqual(log.map((e) => e.action), ["remove_status", "lock_thread"]);
  assert.equal(log[0].reason, "duplicate");

  // A forged announcement — lemmings claiming moderation of a post in another community —
  // is refused.
  const makersPost = (await fetch(`${alpha}/api/v1/timelines/public?local=true`).then((r) => r.json()))[0];
  const forged = { id: `${base}/removals/2`, type: "Delete", actor: fedi().href, object: makersPost.uri, summary: "forged", to: [PUBLIC_COLLECTION.href], cc: [group.href] };
  const request = new Request(shared, { method: "POST", headers: { "Content-Type": "application/activity+json" }, body: JSON.stringify({ "@context": "https://www.w3.org/ns/activitystreams", id: `${base}/announces/4`, type: "Announce", actor: group.href, to: [PUBLIC_COLLECTION.href], object: forged }) });
  const pairs = await context().getActorKeyPairs("lemmings");
  const refused = await fetch(await signRequest(request, pairs[0].privateKey, pairs[0].keyId));
  assert.equal(refused.status, 403);
  assert.equal((await fetch(`${alpha}/api/v1/statuses/${makersPost.id}`)).status, 200);
});

test("a Fedify person's poll is kept, and a Guild person's vote reaches it as Mastodon sends one", async () => {
  const gwen = await token("gwen");
  const questionId = new URL(`${base}/questions/1`);
  const question = new Question({
    id: questionId,
    attribution: fedi(),
    content: "<p>Where shall we meet?</p>",
    exclusiveOptions: [
      new Note({ name: "Kitchen", replies: new Collection({ totalItems: 3 }) }),
      new Note({ name: "Garden", replies: new Collection({ totalItems: 5 }) }),
    ],
    endTime: Temporal.Now.instant().add({ hours: 2 }),
    voters: 8,
    tos: [PUBLIC_COLLECTION],
  });
  const gwenActor = await context().lookupObject(`${alpha}/users/gwen`);
  const create = new Create({ id: new URL(`${base}/creates/question-1`), actor: fedi(), object: question, tos: [PUBLIC_COLLECTION], ccs: [gwenActor.id] });
  await context().sendActivity({ identifier: "fedi" }, gwenActor, create, { immediate: true });
  const fediOnAlpha = await api(gwen, "GET", `/api/v1/accounts/lookup?acct=fedi@${new URL(base).host}`);
  const stored = await eventually(
    async () => (await api(gwen, "GET", `/api/v1/accounts/${fediOnAlpha.id}/statuses`)).find((s) => s.uri === questionId.href),
    "the poll reaches Guild",
  );
  assert.deepEqual(stored.poll.options.map((o) => [o.title, o.votes_count]), [["Kitchen", 3], ["Garden", 5]]);
  assert.equal(stored.poll.voters_count, 8);
  assert.equal(stored.poll.multiple, false);

  const voted = await api(gwen, "POST", `/api/v1/polls/${stored.poll.id}/votes`, { choices: ["1"] });
  assert.deepEqual(voted.own_votes, [1]);
  const ballot = await eventually(
    () => received.find((a) => a.type === "Create" && a.object?.inReplyTo === questionId.href),
    "the vote reaches the peer",
  );
  assert.equal(ballot.object.name, "Garden");
  assert.equal(ballot.object.attributedTo, `${alpha}/users/gwen`);
});

test("Fedify's RFC 9421 signatures are taken at the first knock, and checked", async () => {
  const gwen = await token("gwen");
  const post = await api(gwen, "POST", "/api/v1/statuses", { status: "Signed either way" });
  const like = (n) => new Like({ id: new URL(`${base}/likes/rfc9421-${n}`), actor: fedi(), object: new URL(post.uri) });

  // Fedify remembers, per server, the signature standard of the last delivery it made there:
  // RFC 9421 when its first knock was taken, draft-cavage when it had to knock again.
  const remembered = ["_fedify", "httpMessageSignaturesSpec", new URL(alpha).origin];
  await kv.delete(remembered);
  const gwenActor = await context().lookupObject(`${alpha}/users/gwen`);
  await context().sendActivity({ identifier: "fedi" }, gwenActor, like(1), { immediate: true });
  assert.equal(await kv.get(remembered), "rfc9421");
  await eventually(async () => (await api(gwen, "GET", `/api/v1/statuses/${post.id}`)).favourites_count === 1, "the like counts");

  const pairs = await context().getActorKeyPairs("fedi");
  const inbox = `${alpha}/inbox`;
  const signed = async (n) => signRequest(
    new Request(inbox, { method: "POST", headers: { "Content-Type": "application/activity+json" }, body: JSON.stringify(await like(n).toJsonLd()) }),
    pairs[0].privateKey,
    pairs[0].keyId,
    { spec: "rfc9421" },
  );
  const taken = await fetch(await signed(2));
  assert.equal(taken.status, 202, await taken.text());

  // A body swapped after signing no longer matches its Content-Digest.
  const request = await signed(3);
  const body = JSON.stringify(await like(4).toJsonLd());
  assert.equal((await fetch(new Request(inbox, { method: "POST", headers: request.headers, body }))).status, 400);

  // Without the signature the same request is unauthenticated.
  const headers = new Headers(request.headers);
  headers.delete("Signature");
  headers.delete("Signature-Input");
  const unsigned = await fetch(new Request(inbox, { method: "POST", headers, body: JSON.stringify(await like(3).toJsonLd()) }));
  assert.equal(unsigned.status, 401);
});
