// Single sign-on against a real OpenID Connect provider: oidc-provider (the npm package)
// plays the organisation's identity provider, with its development login and consent pages,
// and Chromium signs in to Guild through it, in a browser and through the OAuth authorize
// page that Mastodon apps open. `tests/sso.rs` starts Guild with passwords off, only
// addresses at acme.example accepted and `groups=guild-admins` making administrators, and
// passes GUILD_URL, PROVIDER_PORT and CHROMIUM; it checks the database afterwards.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import Provider from "oidc-provider";
import { chromium } from "playwright-core";

const base = process.env.GUILD_URL;
const issuer = `http://localhost:${process.env.PROVIDER_PORT}`;

// The organisation's people as the provider knows them.
const people = {
  "dave-0001": { preferred_username: "dave", name: "Dave Ng", email: "dave@acme.example", groups: ["staff"] },
  "carol-0002": { preferred_username: "carol", name: "Carol Ruiz", email: "carol@acme.example", groups: ["staff", "guild-admins"] },
  "eve-0003": { preferred_username: "eve", name: "Eve", email: "eve@elsewhere.example", groups: [] },
  "frank-0004": { preferred_username: "frank", name: "Frank", email: "frank@acme.example", groups: [] },
};

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: "guild",
      client_secret: "a secret only these tests know",
      redirect_uris: [`${base}/sign-in/sso/callback`],
      grant_types: ["authorization_code"],
      response_types: ["code"],
    },
  ],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name", "preferred_username", "groups"],
  },
  async findAccount(ctx, sub) {
    const person = people[sub];
    if (!person) return undefined;
    return { accountId: sub, claims: async () => ({ sub, email_verified: true, ...person }) };
  },
  cookies: { keys: ["a cookie key only these tests use"] },
  features: { devInteractions: { enabled: true } },
});
let server;
before(() => new Promise((resolve) => (server = provider.listen(Number(process.env.PROVIDER_PORT), resolve))));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM,
  // Tests run as root in containers, where Chromium's sandbox cannot start.
  args: ["--no-sandbox"],
});
after(async () => {
  await browser.close();
  server?.close();
});

async function freshBrowser() {
  const context = await browser.newContext({ baseURL: base });
  return context.newPage();
}

/** From a Guild page with the provider's button: sign in there as `sub` and consent. */
async function throughProvider(page, sub) {
  await page.getByRole("link", { name: "Sign in with Acme ID" }).click();
  // The provider's pages load a web font from the internet, which tests cannot reach: wait
  // for the page, not for everything it loads.
  await page.waitForURL(`${issuer}/**`, { waitUntil: "domcontentloaded" });
  await page.locator('input[name="login"]').fill(sub);
  await page.locator('input[name="password"]').fill("the provider's development login takes any");
  await page.locator('button[type="submit"]').click();
  // The provider's consent page: Guild asks for openid, email and profile.
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(`${base}/**`);
}

test("passwords are off: the sign-in page offers only the provider", async () => {
  const page = await freshBrowser();
  await page.goto("/sign-in");
  assert.equal(await page.locator('input[type="password"]').count(), 0);
  assert.equal(await page.getByRole("link", { name: "Sign up" }).count(), 0);
  await page.getByRole("link", { name: "Sign in with Acme ID" }).waitFor();
});

test("a person of the organisation signs in, and again, as the same account", async () => {
  for (let time = 0; time < 2; time++) {
    const page = await freshBrowser();
    await page.goto("/sign-in?next=/settings/password");
    await throughProvider(page, "dave-0001");
    assert.equal(new URL(page.url()).pathname, "/settings/password");
    await page.getByRole("link", { name: "@dave" }).waitFor();
  }
});

test("a person without a password closes their account by having just signed in", async () => {
  const page = await freshBrowser();
  await page.goto("/sign-in?next=/settings/password");
  await throughProvider(page, "frank-0004");
  await page.getByRole("button", { name: "Delete my account" }).click();
  await page.waitForURL(`${base}/`);
  assert.equal(await page.getByRole("link", { name: "@frank" }).count(), 0);
});

test("an address outside the accepted domain is refused", async () => {
  const page = await freshBrowser();
  await page.goto("/sign-in");
  await page.getByRole("link", { name: "Sign in with Acme ID" }).click();
  await page.waitForURL(`${issuer}/**`, { waitUntil: "domcontentloaded" });
  await page.locator('input[name="login"]').fill("eve-0003");
  await page.locator('input[name="password"]').fill("anything");
  const answered = page.waitForResponse((r) => r.url().startsWith(`${base}/sign-in/sso/callback`));
  await page.locator('button[type="submit"]').click();
  await page.locator('button[type="submit"]').click();
  const response = await answered;
  assert.equal(response.status(), 403);
  await page.getByText("open to addresses at acme.example only").waitFor();
  assert.equal(await page.getByRole("link", { name: "@eve" }).count(), 0);
});

test("a Mastodon app signs in through the provider; the group claim makes an administrator", async () => {
  const app = await (
    await fetch(`${base}/api/v1/apps`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        client_name: "Admin app",
        redirect_uris: "urn:ietf:wg:oauth:2.0:oob",
        scopes: "read write admin:read",
      }),
    })
  ).json();
  const page = await freshBrowser();
  const authorize = new URLSearchParams({
    response_type: "code",
    client_id: app.client_id,
    redirect_uri: "urn:ietf:wg:oauth:2.0:oob",
    scope: "read write admin:read",
  });
  await page.goto(`/oauth/authorize?${authorize}`);
  assert.equal(await page.locator('input[type="password"]').count(), 0);
  await throughProvider(page, "carol-0002");
  assert.equal(new URL(page.url()).pathname, "/oauth/authorize");
  await page.getByRole("button", { name: "Authorize" }).click();
  const text = await page.getByText("Copy this code into the app").textContent();
  const code = text.split(": ").pop().trim();

  const token = await (
    await fetch(`${base}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "authorization_code",
        code,
        client_id: app.client_id,
        client_secret: app.client_secret,
        redirect_uri: "urn:ietf:wg:oauth:2.0:oob",
      }),
    })
  ).json();
  const call = async (path) => {
    const response = await fetch(`${base}${path}`, {
      headers: { authorization: `Bearer ${token.access_token}` },
    });
    assert.equal(response.status, 200, `${path}: ${response.status}`);
    return response.json();
  };
  const me = await call("/api/v1/accounts/verify_credentials");
  assert.equal(me.username, "carol");
  assert.equal(me.display_name, "Carol Ruiz");
  const found = await call("/api/v1/admin/accounts?username=dave");
  assert.deepEqual(
    found.map((a) => [a.username, a.email]),
    [["dave", "dave@acme.example"]],
  );
  assert.deepEqual(await call("/api/v1/admin/accounts?username=eve"), []);
});
