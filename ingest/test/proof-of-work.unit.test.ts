import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createChallenge, extractParams, verifySolution } from 'altcha-lib/v1';
import { decode, verifyAltcha } from '../src/abuse/proof-of-work.ts';

const encode = (p: object) => Buffer.from(JSON.stringify(p)).toString('base64');

describe("verifyAltcha (node:crypto) agrees with altcha-lib's verifySolution", () => {
  it('on valid, tampered, foreign-key and expired payloads', async () => {
    const key = randomBytes(32).toString('base64url');
    const cases: Array<{ payload: string; key: string }> = [];
    for (let i = 0; i < 40; i++) {
      const number = i * 37;
      const expires = new Date(Date.now() + (i % 5 === 0 ? -5_000 : 60_000));
      const c = await createChallenge({ hmacKey: key, maxNumber: 5_000, number, expires, params: { e: `e${i}`, u: `u${i}` } });
      const good = { algorithm: c.algorithm, challenge: c.challenge, number, salt: c.salt, signature: c.signature };
      cases.push({ payload: encode(good), key });
      cases.push({ payload: encode({ ...good, number: number + 1 }), key });
      cases.push({ payload: encode({ ...good, salt: good.salt.replace(`e=e${i}`, 'e=other') }), key });
      cases.push({ payload: encode(good), key: randomBytes(32).toString('base64url') });
    }
    let accepted = 0;
    for (const { payload, key: k } of cases) {
      const decoded = decode(payload);
      expect(decoded).toBeDefined();
      const ours = verifyAltcha(decoded!, extractParams(decoded!), k);
      expect(ours).toBe(await verifySolution(payload, k, true));
      if (ours) accepted++;
    }
    expect(accepted).toBe(32); // the 32 unexpired untampered ones with the right key
  });

  it('decode refuses anything but a strict ALTCHA payload', () => {
    for (const header of [
      '',
      'not base64!',
      encode([]),
      encode({ algorithm: 'SHA-1', challenge: 'a'.repeat(64), number: 1, salt: 's', signature: 'b'.repeat(64) }),
      encode({ algorithm: 'SHA-256', challenge: 'a'.repeat(64), number: '1', salt: 's', signature: 'b'.repeat(64) }),
      encode({ algorithm: 'SHA-256', challenge: 'a'.repeat(64), number: -1, salt: 's', signature: 'b'.repeat(64) }),
      encode({ algorithm: 'SHA-256', challenge: 'zz', number: 1, salt: 's', signature: 'b'.repeat(64) }),
    ]) {
      expect(decode(header), header).toBeUndefined();
    }
  });
});
