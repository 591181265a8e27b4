import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildMailApp, type MailApp } from '../../support/apps.js';
import { register } from '../../support/requests.js';
import { isPlainMailbox } from '../../../src/core/email.js';

/** Requests that try to make the sign-in mail reach someone other than the account's stored address. */
const TRICKS = [
  '"e@attacker.com"@victim.com',
  '"e@attacker.com"@example.com',
  'victim@example.com,attacker@evil.test',
  'victim@example.com;attacker@evil.test',
  'Victim <attacker@evil.test>',
  'victim<attacker@evil.test>',
  '<attacker@evil.test>',
  'victim(attacker@evil.test)@example.com',
  'victim(comment)@example.com',
  'victim@example.com(attacker@evil.test)',
  'victim@example.com\r\nBcc: attacker@evil.test',
  'victim@example.com\nBcc: attacker@evil.test',
  'victim@example.com\r\n',
  '"victim"@example.com',
  'victim@[127.0.0.1]',
  '@evil.test:victim@example.com',
  'victim@example.com%0d%0aBcc:attacker@evil.test',
];

for (const signup of [false, true]) {
  describe(`sign-in mail goes to the stored address only (EMAIL_SIGNUP ${signup ? 'on' : 'off'})`, () => {
    let t: MailApp;
    before(async () => {
      t = await buildMailApp({ emailSignup: signup });
      assert.equal((await register(t.app, 'victim@example.com')).statusCode, 201);
    });
    after(async () => t.close());

    /** Every recipient the SMTP server saw, from the envelope and the headers. */
    const recipients = () => t.smtp.messages.flatMap((m) => [...m.to, ...(/^To: (.*)$/m.exec(m.raw)?.[1] ?? '').split(',').map((a) => a.trim())]);

    test('address tricks: refused (4xx) or answered 202, and nobody but the stored address is ever mailed', async () => {
      const answers: Record<string, number> = {};
      for (const email of TRICKS) {
        const response = await t.app.inject({ method: 'POST', url: '/login/email', payload: { email } });
        answers[email] = response.statusCode;
        assert.ok(response.statusCode === 202 || response.statusCode === 422, `${JSON.stringify(email)}: ${response.statusCode}`);
        for (const transport of ['bearer'] as const) {
          const bearer = await t.app.inject({ method: 'POST', url: '/login/email', payload: { email, transport } });
          assert.ok(bearer.statusCode === 202 || bearer.statusCode === 422);
        }
      }
      await t.app.fastifyUsers.mailOutbox.drain();
      const seen = recipients().filter((r) => r !== '');
      assert.deepEqual(
        seen.filter((r) => !/^(<)?victim@example\.com(>)?$/.test(r)),
        [],
        `only the stored address: ${JSON.stringify({ seen, answers })}`,
      );
      // Only a trick that is the victim's own address with spaces around it (trimmed, as stored)
      // reaches anyone: the victim, once per request (a browser's and an API client's).
      const plainVictim = TRICKS.filter((email) => email.trim() === 'victim@example.com').length;
      assert.equal(t.smtp.messages.length, plainVictim * 2, JSON.stringify(t.smtp.messages.map((m) => m.to)));
    });

    test('the typed address in another case or with spaces: the mail goes to the stored one', async () => {
      const before = (await t.mailsTo('victim@example.com')).length;
      const response = await t.app.inject({ method: 'POST', url: '/login/email', payload: { email: '  VICTIM@Example.COM ' } });
      assert.equal(response.statusCode, 202);
      const mails = (await t.mailsTo('victim@example.com')).slice(before);
      assert.equal(mails.length, 1);
      assert.deepEqual(mails[0]!.to, ['victim@example.com']);
      assert.match(mails[0]!.raw, /^To: victim@example\.com\r?$/m);
    });

    test('an account stored under an address that is not one plain mailbox (imported, say) is mailed nothing', async () => {
      for (const stored of ['"e@attacker.com"@victim.com', 'victim(attacker@evil.test)@example.com', 'victim<attacker@evil.test>', 'a@x.test,b@evil.test']) {
        assert.ok(await t.store.createUser({ email: stored, hashedPassword: '!' }, new Date()));
        const before = t.smtp.messages.length;
        const response = await t.app.inject({ method: 'POST', url: '/login/email', payload: { email: stored } });
        assert.ok([202, 422].includes(response.statusCode));
        await t.app.fastifyUsers.mailOutbox.drain();
        assert.equal(t.smtp.messages.length, before, `nothing sent for ${stored}`);
      }
    });
  });
}

describe('isPlainMailbox: one mailbox, no other reading', () => {
  test('plain addresses, international ones included, pass; every trick fails', () => {
    for (const address of ['a@example.com', 'first.last+tag@sub.example.co.uk', 'åsa@exämple.se', "o'brien@example.ie", 'a%b@example.com']) {
      assert.equal(isPlainMailbox(address), true, address);
    }
    for (const address of [
      ...TRICKS,
      'a..b@x.com',
      '.a@x.com',
      'a.@x.com',
      'a@x',
      'a@-x.com',
      'a@x-.com',
      'a b@x.com',
      `${'a'.repeat(65)}@x.com`,
      'a@x.com\u0000',
    ]) {
      assert.equal(isPlainMailbox(address), false, JSON.stringify(address));
    }
  });
});
