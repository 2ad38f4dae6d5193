// Unit tests of the scope catalogue and the redirect URI rules (SPEC §3, §4).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  isOob,
  matchesRegistered,
  redirectUriProblem,
  selfRegisteredRedirectUriProblem,
} from '../src/oauth/redirect-uris.js';
import { covers, coversAll, MASTODON_SCOPES, parseScopes, ScopeCatalog } from '../src/oauth/scopes.js';

describe('scopes', () => {
  const catalog = new ScopeCatalog();

  test("Mastodon's scopes are known; made-up ones are not", () => {
    for (const s of [
      'read',
      'write',
      'follow',
      'push',
      'profile',
      'admin:read',
      'admin:write',
      'read:statuses',
      'read:accounts',
      'write:media',
      'write:conversations',
      'admin:read:accounts',
      'admin:write:canonical_email_blocks',
      'read:collections',
    ]) {
      assert.ok(catalog.isKnown(s), s);
    }
    for (const s of [
      'admin',
      'read:conversations',
      'read:reports',
      'crypto',
      'read:me',
      'hoge',
      '',
      'READ',
      'read:',
      'push:x',
      'profile:x',
    ]) {
      assert.ok(!catalog.isKnown(s), s);
    }
    assert.equal(new Set(MASTODON_SCOPES).size, MASTODON_SCOPES.length, 'no duplicates in the list');
  });

  test('operator scopes from SCOPES are added to the known list', () => {
    const withExtra = new ScopeCatalog(['api:read', 'api:write', 'read']);
    assert.ok(withExtra.isKnown('api:read'));
    assert.ok(withExtra.isKnown('read'));
    assert.equal(withExtra.known.filter((s) => s === 'read').length, 1);
    assert.ok(!catalog.isKnown('api:read'));
  });

  test('a scope covers itself and every scope under it', () => {
    assert.ok(covers('read', 'read'));
    assert.ok(covers('read', 'read:statuses'));
    assert.ok(covers('write', 'write:media'));
    assert.ok(covers('admin:read', 'admin:read:accounts'));
    assert.ok(covers('admin:write', 'admin:write:reports'));
  });

  test('the reverse is not true, and siblings do not cover each other', () => {
    assert.ok(!covers('read:statuses', 'read'));
    assert.ok(!covers('read', 'write'));
    assert.ok(!covers('read', 'write:statuses'));
    assert.ok(!covers('read', 'profile'), 'read does not give profile');
    assert.ok(!covers('read', 'admin:read'));
    assert.ok(!covers('read', 'admin:read:accounts'));
    assert.ok(!covers('read', 'readx'));
    assert.ok(!covers('admin:read', 'admin:write:accounts'));
    assert.ok(!covers('write', 'push'));
    assert.ok(!covers('profile', 'read:accounts'));
  });

  test('coversAll: every wanted scope needs a holder', () => {
    assert.ok(coversAll(['read', 'write'], ['read:statuses', 'write:media', 'read']));
    assert.ok(!coversAll(['read'], ['read', 'write']));
    assert.ok(coversAll(['read'], []));
    assert.ok(!coversAll([], ['read']));
  });

  test('parseScopes: split on spaces, no duplicates, order kept', () => {
    assert.deepEqual(parseScopes('read write'), ['read', 'write']);
    assert.deepEqual(parseScopes('write  read write'), ['write', 'read']);
    assert.deepEqual(parseScopes(['read', 'read', 'push']), ['read', 'push']);
    assert.deepEqual(parseScopes(''), []);
    assert.equal(parseScopes('read "write"'), undefined);
    assert.equal(parseScopes('read\\write'), undefined);
    assert.equal(parseScopes('read\twrite'), undefined);
    assert.equal(parseScopes('read\nwrite'), undefined);
  });

  test('every known scope has words for the consent page', () => {
    for (const s of catalog.known) {
      const words = catalog.describe(s);
      assert.ok(words.length > 3 && words !== s, `${s}: ${words}`);
    }
    assert.match(catalog.describe('read:statuses'), /Read/);
    assert.match(catalog.describe('write:media'), /media/);
  });
});

describe('redirect URIs', () => {
  test('accepted at registration', () => {
    for (const uri of [
      'https://app.example/cb',
      'http://app.example/cb',
      'https://app.example/cb?x=1',
      'myapp://callback',
      'com.example.app://oauth/cb',
      'http://127.0.0.1:1234/cb',
      'http://[::1]/cb',
      'urn:ietf:wg:oauth:2.0:oob',
      'urn:ietf:wg:oauth:2.0:oob:auto',
    ]) {
      assert.equal(redirectUriProblem(uri), undefined, uri);
    }
  });

  test('refused: browser-internal schemes, userinfo, wildcards and empty hosts; app schemes kept', () => {
    const schemes = [
      'about',
      'blob',
      'chrome',
      'chrome-extension',
      'data',
      'file',
      'filesystem',
      'ftp',
      'intent',
      'javascript',
      'jar',
      'vbscript',
      'view-source',
      'ws',
      'wss',
    ];
    for (const scheme of schemes) {
      for (const uri of [`${scheme}://app.example/cb`, `${scheme.toUpperCase()}://app.example/cb`])
        assert.notEqual(redirectUriProblem(uri), undefined, uri);
    }
    for (const uri of [
      'about:blank',
      'view-source:https://app.example/cb',
      'intent://cb#Intent;scheme=x;end',
      'https://user:pass@app.example/cb',
      'https://user@app.example/cb',
      'https://*.wild.example/cb',
      'https://app.*.example/cb',
      'https:///nohost',
      'http:///cb',
      'myapp://',
      'https://app.example%2a/cb',
    ]) {
      assert.notEqual(redirectUriProblem(uri), undefined, uri);
    }
    for (const uri of [
      'tusky://oauth',
      'com.example.app:/cb',
      'com.example.app:/oauth/cb?x=1',
      'https://app.example/cb',
      'http://app.example/cb',
    ]) {
      assert.equal(redirectUriProblem(uri), undefined, uri);
    }
  });

  test('refused at registration', () => {
    for (const uri of [
      'javascript:alert(1)',
      'javascript://x/%0aalert(1)',
      'data:text/html,x',
      'vbscript:msgbox',
      'file:///etc/passwd',
      'localhost:3000',
      'https://app.example/cb#x',
      'https://app.example/cb#',
      '/cb',
      'cb',
      '//app.example/cb',
      'myapp:callback',
      'https://',
      'http://',
      '',
      `https://a.example/${'x'.repeat(2000)}`,
    ]) {
      assert.notEqual(redirectUriProblem(uri), undefined, uri);
    }
  });

  test('isOob', () => {
    assert.ok(isOob('urn:ietf:wg:oauth:2.0:oob'));
    assert.ok(!isOob('urn:ietf:wg:oauth:2.0:oobx'));
  });

  test('a requested URI must equal a registered one exactly', () => {
    const registered = ['https://app.example/cb', 'myapp://cb'];
    assert.ok(matchesRegistered('https://app.example/cb', registered));
    assert.ok(matchesRegistered('myapp://cb', registered));
    for (const uri of [
      'https://app.example/cb/',
      'https://app.example/cb?x=1',
      'https://app.example/cb#x',
      'https://app.example:443/cb/../cb',
      'https://APP.example/cb',
      'http://app.example/cb',
      'https://app.example/c',
      'https://app.example.evil.example/cb',
      'https://app.example:8443/cb',
      'myapp://cb/x',
      '',
    ]) {
      assert.ok(!matchesRegistered(uri, registered), uri);
    }
  });

  test('loopback IP literals may use another port (RFC 8252), nothing else may', () => {
    assert.ok(matchesRegistered('http://127.0.0.1:5555/cb', ['http://127.0.0.1:1234/cb']));
    assert.ok(matchesRegistered('http://127.0.0.1:5555/cb', ['http://127.0.0.1/cb']));
    assert.ok(matchesRegistered('http://[::1]:5555/cb', ['http://[::1]:1234/cb']));
    assert.ok(!matchesRegistered('http://127.0.0.1:5555/other', ['http://127.0.0.1:1234/cb']));
    assert.ok(!matchesRegistered('http://127.0.0.1:5555/cb?x=1', ['http://127.0.0.1:1234/cb']));
    assert.ok(!matchesRegistered('https://127.0.0.1:5555/cb', ['https://127.0.0.1:1234/cb']), 'only http loopback');
    assert.ok(
      !matchesRegistered('http://localhost:5555/cb', ['http://localhost:1234/cb']),
      'names are not IP literals',
    );
    assert.ok(!matchesRegistered('http://127.0.0.2:5555/cb', ['http://127.0.0.1:1234/cb']));
    assert.ok(!matchesRegistered('http://user@127.0.0.1:5555/cb', ['http://127.0.0.1:1234/cb']));
    assert.ok(!matchesRegistered('http://[::1]:5555/cb', ['http://127.0.0.1:1234/cb']));
  });

  test('a client registering itself: https, http only on loopback, private-use schemes; never out-of-band', () => {
    for (const uri of [
      'https://app.example/cb',
      'http://127.0.0.1:1234/cb',
      'http://[::1]/cb',
      'http://localhost:8080/callback',
      'com.example.app:/oauth/cb',
      'cursor://anysphere.cursor/oauth',
    ]) {
      assert.equal(selfRegisteredRedirectUriProblem(uri), undefined, uri);
    }
    for (const uri of [
      'http://app.example/cb',
      'http://10.0.0.1/cb',
      'urn:ietf:wg:oauth:2.0:oob',
      'https://app.example/cb#x',
      'https://user@app.example/cb',
      'https://*.example/cb',
      'javascript:alert(1)',
      'not a uri',
    ]) {
      assert.notEqual(selfRegisteredRedirectUriProblem(uri), undefined, uri);
    }
  });
});
