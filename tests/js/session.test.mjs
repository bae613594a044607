// A masto.js session against Guild: sign in, post, interact, page, follow across instances,
// and run a community through Guild's API. `tests/masto_js.rs` starts the instances and
// passes their URLs in GUILD_ALPHA / GUILD_BETA.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createOAuthAPIClient, createRestAPIClient, createStreamingAPIClient } from "masto";
import { png } from "./png.mjs";

const alpha = process.env.GUILD_ALPHA;
const beta = process.env.GUILD_BETA;
const scopes = "read write follow";
const tokens = new Map();

async function login(url, username) {
  const app = await createRestAPIClient({ url }).v1.apps.create({
    clientName: "guild-masto-js",
    redirectUris: "urn:ietf:wg:oauth:2.0:oob",
    scopes,
  });
  const token = await createOAuthAPIClient({ url }).token.create({
    grantType: "password",
    clientId: app.clientId,
    clientSecret: app.clientSecret,
    username,
    password: "password123",
    scope: scopes,
  });
  const client = createRestAPIClient({ url, accessToken: token.accessToken });
  tokens.set(client, token.accessToken); // masto clients are proxies: keep the token aside
  return client;
}

async function eventually(check, what, seconds = 30) {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`timed out waiting until ${what}`);
}

const host = (url) => new URL(url).host;

test("sign in and read the start-up calls", async () => {
  const dana = await login(alpha, "dana");
  const me = await dana.v1.accounts.verifyCredentials();
  assert.equal(me.username, "dana");
  const instance = await dana.v2.instance.fetch();
  assert.match(instance.version, /Guild/);
  assert.deepEqual(await dana.v1.customEmojis.list(), []);
  await dana.v1.preferences.fetch();
  await dana.v1.markers.fetch({ timeline: ["home"] });
});

test("post, reply, favourite, boost, bookmark, edit, delete", async () => {
  const dana = await login(alpha, "dana");
  const erin = await login(alpha, "erin");
  const post = await dana.v1.statuses.create({ status: "Hello from masto.js #guild" });
  assert.equal(post.content, '<p>Hello from masto.js <a href="' + alpha + '/tags/guild" class="mention hashtag" rel="tag">#<span>guild</span></a></p>');
  const reply = await erin.v1.statuses.create({ status: "Welcome!", inReplyToId: post.id });
  assert.equal(reply.inReplyToId, post.id);
  assert.equal((await erin.v1.statuses.$select(post.id).favourite()).favourited, true);
  assert.equal((await erin.v1.statuses.$select(post.id).reblog()).reblogged, true);
  assert.equal((await erin.v1.statuses.$select(post.id).bookmark()).bookmarked, true);
  const context = await dana.v1.statuses.$select(post.id).context.fetch();
  assert.deepEqual(context.descendants.map((s) => s.id), [reply.id]);
  const edited = await dana.v1.statuses.$select(post.id).update({ status: "Hello again" });
  assert.ok(edited.editedAt);
  const history = await dana.v1.statuses.$select(post.id).history.list();
  assert.equal(history.length, 2);
  const favouritedBy = await dana.v1.statuses.$select(post.id).favouritedBy.list();
  assert.deepEqual(favouritedBy.map((a) => a.username), ["erin"]);
  const notifications = await dana.v1.notifications.list();
  assert.ok(notifications.some((n) => n.type === "favourite" && n.account.username === "erin"));
  await erin.v1.statuses.$select(reply.id).remove();
  await assert.rejects(erin.v1.statuses.$select(reply.id).fetch());
});

test("page the home timeline with the paginator", async () => {
  const dana = await login(alpha, "dana");
  for (let n = 0; n < 5; n++) {
    await dana.v1.statuses.create({ status: `page item ${n}` });
  }
  const seen = [];
  for await (const page of dana.v1.timelines.home.list({ limit: 2 })) {
    seen.push(...page.map((s) => s.id));
    if (seen.length >= 5) break;
  }
  assert.equal(new Set(seen).size, seen.length, "pages do not repeat");
  assert.deepEqual([...seen].sort().reverse(), seen, "newest first across pages");
});

test("follow a person and join a community on another instance", async () => {
  const dana = await login(alpha, "dana");
  const bob = await dana.v1.accounts.lookup({ acct: `bob@${host(beta)}` });
  await dana.v1.accounts.$select(bob.id).follow();
  await eventually(async () => (await dana.v1.accounts.relationships.fetch({ id: [bob.id] }))[0].following, "bob accepts dana");
  const practice = await dana.v1.accounts.lookup({ acct: `practice@${host(beta)}` });
  assert.equal(practice.group, true);
  await dana.v1.accounts.$select(practice.id).follow();
  await eventually(async () => (await dana.v1.accounts.relationships.fetch({ id: [practice.id] }))[0].following, "dana joins practice");
  const post = await dana.v1.statuses.create({ status: `@practice@${host(beta)} What are you reading?` });
  const reader = createRestAPIClient({ url: beta });
  const community = await reader.v1.accounts.lookup({ acct: "practice" });
  await eventually(async () => (await reader.v1.accounts.$select(community.id).statuses.list()).some((s) => s.uri === post.uri), "the post reaches practice on beta");
});

test("run a community through Guild's API", async () => {
  const dana = await login(alpha, "dana");
  const erin = await login(alpha, "erin");
  const call = async (client, method, path, body) => {
    const response = await fetch(alpha + path, {
      method,
      headers: { Authorization: `Bearer ${tokens.get(client)}`, "Content-Type": "application/json" },
      body: body && JSON.stringify(body),
    });
    assert.equal(response.status, 200, `${method} ${path}: ${await response.clone().text()}`);
    return response.json();
  };
  const circle = await call(dana, "POST", "/api/v1/guild/communities", { name: "js_circle", posting_policy: "members" });
  // Erin joins through the Mastodon API and posts by mention; dana removes the post.
  await erin.v1.accounts.$select(circle.id).follow();
  const post = await erin.v1.statuses.create({ status: "@js_circle buy my stuff" });
  await call(dana, "POST", `/api/v1/guild/statuses/${post.id}/remove`, { reason: "spam" });
  await assert.rejects(createRestAPIClient({ url: alpha }).v1.statuses.$select(post.id).fetch());
  const log = await call(dana, "GET", `/api/v1/guild/communities/${circle.id}/moderation_log`);
  assert.equal(log[0].action, "remove_status");
  assert.equal(log[0].reason, "spam");
  // Erin reports through the Mastodon report API.
  const other = await erin.v1.statuses.create({ status: "@js_circle a real question" });
  const report = await dana.v1.reports.create({ accountId: (await erin.v1.accounts.verifyCredentials()).id, statusIds: [other.id], comment: "check this" });
  assert.equal(report.comment, "check this");
  const reports = await call(dana, "GET", `/api/v1/guild/communities/${circle.id}/reports`);
  assert.equal(reports[0].comment, "check this");
});

test("upload a picture, attach it, change its alt text in an edit, vote in a poll", async () => {
  const dana = await login(alpha, "dana");
  const erin = await login(alpha, "erin");
  const green = png(4, 2, "00ff00");
  const media = await dana.v2.media.create({ file: new Blob([green], { type: "image/png" }), description: "a green bar" });
  assert.equal(media.type, "image");
  assert.equal(media.meta.original.width, 4);
  const post = await dana.v1.statuses.create({ status: "Our colour", mediaIds: [media.id] });
  assert.deepEqual(post.mediaAttachments.map((m) => m.description), ["a green bar"]);
  const edited = await dana.v1.statuses.$select(post.id).update({
    status: "Our colour, again",
    mediaIds: [media.id],
    mediaAttributes: [{ id: media.id, description: "a green bar, wide" }],
  });
  assert.equal(edited.mediaAttachments[0].description, "a green bar, wide");

  const question = await dana.v1.statuses.create({ status: "Stand-up time?", poll: { options: ["9:00", "9:30"], expiresIn: 3600 } });
  const voted = await erin.v1.polls.$select(question.poll.id).votes.create({ choices: [1] });
  assert.deepEqual(voted.ownVotes, [1]);
  assert.deepEqual(voted.options.map((o) => o.votesCount), [0, 1]);
});

test("live updates through masto.js's WebSocket client, the token sent as its subprotocol", async () => {
  const dana = await login(alpha, "dana");
  const erin = await login(alpha, "erin");
  const instance = await dana.v2.instance.fetch();
  const streaming = createStreamingAPIClient({
    streamingApiUrl: instance.configuration.urls.streaming,
    accessToken: tokens.get(dana),
  });
  const events = [];
  const subscriptions = [streaming.user.subscribe(), streaming.public.local.subscribe()];
  for (const subscription of subscriptions) {
    (async () => {
      for await (const event of subscription) events.push(event);
    })();
  }
  const seen = (what) => events.some(what);
  try {
    // Subscriptions are sent once the socket opens (masto.js retries with a back-off), and a
    // post before that is not streamed: post until one arrives on both streams.
    const onBoth = (id) =>
      ["user", "public:local"].every((stream) =>
        seen((e) => e.event === "update" && e.stream[0] === stream && e.payload.id === id),
      );
    await eventually(async () => {
      const warm = await dana.v1.statuses.create({ status: "are the streams open?" });
      await new Promise((resolve) => setTimeout(resolve, 500));
      return onBoth(warm.id);
    }, "the streams are open");
    const status = await dana.v1.statuses.create({ status: "live from masto.js" });
    for (const stream of ["user", "public:local"]) {
      await eventually(
        () => seen((e) => e.event === "update" && e.stream[0] === stream && e.payload.id === status.id),
        `the post on ${stream}`,
        10,
      );
    }
    await erin.v1.statuses.create({ status: "@dana are you there?" });
    await eventually(
      () => seen((e) => e.event === "notification" && e.payload.type === "mention"),
      "the mention",
      10,
    );
    await dana.v1.statuses.$select(status.id).remove();
    await eventually(
      () => seen((e) => e.event === "delete" && e.payload === status.id),
      "the deletion",
      10,
    );
  } finally {
    subscriptions.forEach((subscription) => subscription.unsubscribe());
    streaming.close();
  }
});
