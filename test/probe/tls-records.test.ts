import { describe, expect, it } from 'vitest';
import { alertName, printablePreview, RecordReader } from '../../src/probe/tls-records.js';

const rec = (type: number, body: number[]) => [type, 3, 3, body.length >> 8, body.length & 0xff, ...body];

describe('RecordReader', () => {
  it('splits records however the bytes are chunked', () => {
    const bytes = Uint8Array.from([...rec(22, [1, 2, 3]), ...rec(21, [2, 40]), ...rec(23, Array(300).fill(9))]);
    for (const chunk of [1, 2, 5, 7, bytes.length]) {
      const r = new RecordReader();
      const got = [];
      for (let i = 0; i < bytes.length; i += chunk) got.push(...r.push(bytes.subarray(i, i + chunk)));
      expect(got.map((x) => [x.type, x.fragment.length])).toEqual([
        [22, 3],
        [21, 2],
        [23, 300],
      ]);
      expect(Array.from(got[1].fragment)).toEqual([2, 40]);
      expect(Array.from(got[0].header)).toEqual([22, 3, 3, 0, 3]);
      expect(r.state).toBe('ok');
      expect(r.bytesSeen).toBe(bytes.length);
    }
  });

  it('calls a plain-HTTP answer not-tls from its first byte and keeps the head', () => {
    const r = new RecordReader();
    r.push(Buffer.from('H'));
    expect(r.state).toBe('not-tls');
    r.push(Buffer.from('TTP/1.1 400 Bad Request\r\n'));
    expect(printablePreview(r.head)).toBe('HTTP/1.1 400 Bad Request\\r\\n');
  });

  it('not-tls when the first record version major is not 3 (OpenSSL: wrong version number)', () => {
    const r = new RecordReader();
    r.push(Uint8Array.from([22, 0x54, 0x54, 0, 1, 0]));
    expect(r.state).toBe('not-tls');
  });

  it('a bad header after valid records is malformed, not not-tls', () => {
    const r = new RecordReader();
    expect(r.push(Uint8Array.from([...rec(22, [1]), 0x48, 0x54, 0x54, 0x50, 0x2f]))).toHaveLength(1);
    expect(r.state).toBe('malformed');
  });

  it('rejects a record longer than 2^14 + 2048', () => {
    const r = new RecordReader();
    r.push(Uint8Array.from([22, 3, 3, 0x48, 0x01]));
    expect(r.state).toBe('not-tls');
  });
});

describe('printablePreview / alertName', () => {
  it('escapes non-printables', () => {
    expect(printablePreview([0x53, 0x53, 0x48, 0x00, 0xff, 0x5c, 0x09])).toBe('SSH\\x00\\xff\\\\\\t');
    expect(printablePreview(Buffer.from('x'.repeat(100)), 10)).toBe('x'.repeat(10));
  });

  it('names alerts from the IANA registry', () => {
    expect(alertName(40)).toBe('handshake_failure');
    expect(alertName(48)).toBe('unknown_ca');
    expect(alertName(70)).toBe('protocol_version');
    expect(alertName(116)).toBe('certificate_required');
    expect(alertName(200)).toBe('unknown_alert_200');
  });
});
