// SPDX-License-Identifier: Apache-2.0
// t/browser/cors.js - a real browser (Debian's chromium, headless, driven by
// puppeteer-core) calling a mod_bearer API across origins, as t/browser/cors.t
// sets it up. Prints one JSON object with what the page's scripts saw.
//
// Environment: API (http://127.0.0.1:port of the httpd), LISTED_PORT (a
// page origin BearerCORSOrigins lists), OTHER_PORT (one it does not),
// TOKEN (stream:view), TOKEN2 (another live token), TOKEN3 (stream:view,
// logged out through the revocation endpoint), CHROMIUM (executable).
'use strict';

const http = require('http');
const puppeteer = require('puppeteer-core');

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    throw new Error(`${name} is not set`);
  }
  return v;
};

// A page origin: a tiny static server on loopback answering one HTML page.
function pageServer(port) {
  return new Promise((resolve, reject) => {
    const server = http.createServer((req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>operator web app</title><p>app</p>');
    });
    server.on('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

// What the operator's web app does: the client token in Authorization.
async function inPage(api, token, mode, token3) {
  const auth = (t) => ({ Authorization: `Bearer ${t}` });
  const call = async (method, path, t) => {
    try {
      // no-store: the browser's cache must not answer for the server (a
      // cached 200 after logout would hide the 401)
      const res = await fetch(api + path, { method, headers: auth(t), cache: 'no-store' });
      return {
        status: res.status,
        body: await res.text(),
        wwwAuthenticate: res.headers.get('WWW-Authenticate'),
      };
    } catch (e) {
      return { error: `${e.name}: ${e.message}` };
    }
  };
  // Logout as an RFC 7009 public client: the token in a form body, no
  // credentials (a form POST needs no preflight; the answer is readable
  // only with Access-Control-Allow-Origin).
  const revoke = async (t) => {
    try {
      const res = await fetch(`${api}/auth/v1/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: `token=${encodeURIComponent(t)}`,
        credentials: 'omit',
        cache: 'no-store',
      });
      return { status: res.status, body: await res.text() };
    } catch (e) {
      return { error: `${e.name}: ${e.message}` };
    }
  };
  if (mode === 'blocked') {
    return { blocked: await call('GET', '/c/view/r.txt', token) };
  }
  return {
    view: await call('GET', '/c/view/r.txt', token),
    forbidden: await call('GET', '/c/op/r.txt', token),
    logout: await call('DELETE', '/auth/v1/access-tokens/self', token),
    after: await call('GET', '/c/view/r.txt', token),
    view3: await call('GET', '/c/view/r.txt', token3),
    revoke: await revoke(token3),
    afterRevoke: await call('GET', '/c/view/r.txt', token3),
  };
}

async function main() {
  const api = env('API');
  const listed = Number(env('LISTED_PORT'));
  const other = Number(env('OTHER_PORT'));
  const servers = [await pageServer(listed), await pageServer(other)];
  const browser = await puppeteer.launch({
    executablePath: env('CHROMIUM'),
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const out = { console: [] };
  try {
    const page = await browser.newPage();
    page.on('console', (m) => out.console.push(m.text()));
    await page.goto(`http://127.0.0.1:${listed}/`);
    out.origin = await page.evaluate(() => window.location.origin);
    Object.assign(out, await page.evaluate(inPage, api, env('TOKEN'), 'flow',
                                            env('TOKEN3')));

    const page2 = await browser.newPage();
    page2.on('console', (m) => out.console.push(m.text()));
    await page2.goto(`http://127.0.0.1:${other}/`);
    out.otherOrigin = await page2.evaluate(() => window.location.origin);
    Object.assign(out, await page2.evaluate(inPage, api, env('TOKEN2'), 'blocked'));
    // the console message is logged a moment after fetch() rejects
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await browser.close();
    servers.forEach((s) => s.close());
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

main().catch((e) => {
  process.stderr.write(`cors.js: ${e.stack || e}\n`);
  process.exit(1);
});
