// Guild in a real browser: Chromium, driven by Playwright, signs up, joins, starts a thread,
// replies as a second person (with JavaScript off), and watches a moderator's removal hide the
// reply; members-only threads stay hidden and a form without its token is refused.
// `tests/browser.rs` starts the instance and passes GUILD_URL, GUILD_SECRET_THREAD (a thread
// in the members-only community "inner") and CHROMIUM; GUILD_SCREENSHOTS names a folder to
// keep pictures of the pages in.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { chromium } from "playwright-core";

const base = process.env.GUILD_URL;
const secretThread = process.env.GUILD_SECRET_THREAD;
const screenshots = process.env.GUILD_SCREENSHOTS;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  // Tests run as root in containers, where Chromium's sandbox cannot start.
  args: ["--no-sandbox"],
});
after(() => browser.close());

/** A fresh browser profile; `javaScriptEnabled: false` is a reader without JavaScript. */
async function person(options = {}) {
  const context = await browser.newContext({ baseURL: base, ...options });
  const page = await context.newPage();
  page.on("pageerror", (error) => assert.fail(`script error on ${page.url()}: ${error}`));
  return page;
}

async function keep(page, name) {
  if (screenshots) await page.screenshot({ path: `${screenshots}/${name}.png`, fullPage: true });
}

async function signUp(page, name) {
  await page.goto("/sign-up");
  await page.getByLabel("Username").fill(name);
  await page.getByLabel("Email").fill(`${name}@example.org`);
  await page.getByLabel("Password").fill("a long enough password");
  await page.getByRole("button", { name: "Sign up" }).click();
  await page.waitForURL(`${base}/`);
  assert.ok(await page.getByRole("link", { name: `@${name}` }).isVisible());
}

let threadUrl;

test("a new member signs up, joins and starts a thread", async () => {
  const nina = await person();
  await signUp(nina, "nina");
  await nina.getByRole("link", { name: "platform" }).click();
  await nina.getByRole("button", { name: "Join" }).click();
  await nina.getByText("Start a thread").click();
  await nina.getByLabel("Title").fill("How do we share build caches?");
  await nina.getByLabel("Text").fill("Our CI rebuilds everything on every run. Who solved this?");
  await nina.getByRole("button", { name: "Start the thread" }).click();
  await nina.getByRole("heading", { name: "How do we share build caches?" }).waitFor();
  threadUrl = nina.url();
  await nina.goto("/c/platform");
  await nina.getByRole("link", { name: "How do we share build caches?" }).waitFor();
  await keep(nina, "community");
  await nina.goto("/");
  await nina.getByRole("link", { name: "How do we share build caches?" }).waitFor();
  await keep(nina, "front-page");

  // A form sent without its token, or from another site, changes nothing.
  const forged = await nina.request.post("/c/platform/leave", { form: {} });
  assert.equal(forged.status(), 403);
  const cookies = await nina.context().cookies();
  const csrf = cookies.find((c) => c.name === "guild_csrf").value;
  const elsewhere = await nina.request.post("/c/platform/leave", {
    form: { csrf },
    headers: { origin: "https://evil.example" },
  });
  assert.equal(elsewhere.status(), 403);
  await nina.goto("/c/platform");
  assert.ok(await nina.getByRole("button", { name: "Leave" }).isVisible(), "still a member");

  // A members-only community shows her nothing of its threads.
  await nina.goto("/c/inner");
  await nina.getByText("Only members see this community's threads.").waitFor();
  const hidden = await nina.goto(secretThread);
  assert.equal(hidden.status(), 404);
  assert.ok(!(await nina.content()).includes("Reorg plans"));
  await nina.context().close();
});

test("a second person replies without JavaScript, and a moderator removes the reply", async () => {
  const omar = await person({ javaScriptEnabled: false });
  await signUp(omar, "omar");
  await omar.goto("/c/platform");
  await omar.getByRole("button", { name: "Join" }).click();
  await omar.goto(threadUrl);
  await omar.getByLabel("Reply to the thread").fill("We use a shared bucket <script>alert(1)</script>");
  await omar.getByRole("button", { name: "Reply", exact: true }).last().click();
  const reply = omar.getByText("We use a shared bucket");
  await reply.waitFor();
  assert.ok(!(await omar.content()).includes("<script>alert"), "posted HTML is shown as text");

  const ann = await person();
  await ann.goto(`/sign-in?next=${new URL(threadUrl).pathname}`);
  await ann.getByLabel("Username or email").fill("ann");
  await ann.getByLabel("Password").fill("password123");
  await ann.getByRole("button", { name: "Sign in" }).click();
  await ann.waitForURL(threadUrl);
  await ann.getByText("We use a shared bucket").waitFor();
  await keep(ann, "thread");
  const replyPost = ann.locator("article.post", { hasText: "We use a shared bucket" });
  await replyPost.getByRole("button", { name: "Remove" }).click();
  await ann.waitForURL(threadUrl);
  assert.equal(await ann.getByText("We use a shared bucket").count(), 0);

  for (const reader of [omar, await person()]) {
    await reader.goto(threadUrl);
    await reader.getByRole("heading", { name: "How do we share build caches?" }).waitFor();
    assert.equal(await reader.getByText("We use a shared bucket").count(), 0);
  }
});

test("pages fit a phone's screen", async () => {
  const phone = await person({ viewport: { width: 360, height: 740 }, isMobile: true, hasTouch: true });
  for (const path of ["/", "/c/platform", new URL(threadUrl).pathname, "/sign-in", "/sign-up"]) {
    await phone.goto(path);
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `${path} is ${width} px wide on a 360 px screen`);
  }
  await phone.goto(new URL(threadUrl).pathname);
  await keep(phone, "thread-on-a-phone");
});

test("pages have no serious accessibility faults (axe-core)", async () => {
  // axe runs as a script in the page, which Guild's Content-Security-Policy forbids.
  const reader = await person({ bypassCSP: true });
  await reader.goto("/sign-in");
  await reader.getByLabel("Username or email").fill("ann");
  await reader.getByLabel("Password").fill("password123");
  await reader.getByRole("button", { name: "Sign in" }).click();
  await reader.waitForURL(`${base}/`);
  const axe = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
  const pages = ["/", "/c/platform", new URL(threadUrl).pathname, "/home", "/notifications",
    "/users/ann", "/search?q=a", "/c/platform/moderation", "/c/platform/log", "/settings/password"];
  for (const path of pages) {
    await reader.goto(path);
    await reader.addScriptTag({ path: axe });
    const found = await reader.evaluate(() => window.axe.run());
    assert.ok(found.passes.length > 10, `axe checked ${path}`);
    const serious = found.violations.filter((v) => ["serious", "critical"].includes(v.impact));
    assert.deepEqual(serious.map((v) => `${v.id}: ${v.nodes[0].html}`), [], `on ${path}`);
  }
  const signedOut = await person({ bypassCSP: true });
  for (const path of ["/sign-in", "/sign-up", "/"]) {
    await signedOut.goto(path);
    await signedOut.addScriptTag({ path: axe });
    const found = await signedOut.evaluate(() => window.axe.run());
    const serious = found.violations.filter((v) => ["serious", "critical"].includes(v.impact));
    assert.deepEqual(serious.map((v) => `${v.id}: ${v.nodes[0].html}`), [], `on ${path}`);
  }
});
