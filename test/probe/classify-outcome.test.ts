import { describe, expect, it } from 'vitest';
import { parseNodeOpensslMessage } from '../../src/diagnosis/openssl-error.js';
import { classifyOutcome, type ProbeFacts } from '../../src/probe/classify-outcome.js';

const base: ProbeFacts = {
  tcpConnected: true,
  secureConnected: false,
  waitedForFirstRead: false,
  deadlineHit: false,
  captureLimitHit: false,
  captureLimitBytes: 1024,
  peerClosed: false,
  serverBytes: 0,
  notTls: false,
  serverHead: [],
  tls13: false,
  serverAlerts: [],
  acceptedAfterHandshake: false,
};
const sslError = (reason: string, extra = '') => ({
  code: `ERR_SSL_${reason.toUpperCase().replace(/ /g, '_')}`,
  message: `error:0A000000:SSL routines::${reason}${extra}`,
  reason,
  library: 'SSL routines',
});

describe('classifyOutcome', () => {
  it('TCP and DNS failures', () => {
    expect(classifyOutcome({ ...base, tcpConnected: false, tcpError: { code: 'ECONNREFUSED', message: 'x' } }).outcome).toBe('refused');
    expect(classifyOutcome({ ...base, tcpConnected: false, tcpError: { code: 'ENOTFOUND', message: 'x' } }).outcome).toBe('dns');
    expect(classifyOutcome({ ...base, tcpConnected: false, tcpError: { code: 'EAI_AGAIN', message: 'x' } }).outcome).toBe('dns');
    expect(classifyOutcome({ ...base, tcpConnected: false, tcpError: { code: 'EHOSTUNREACH', message: 'x' } }).outcome).toBe('network-error');
    expect(classifyOutcome({ ...base, tcpError: { code: 'ECONNRESET', message: 'x' } }).outcome).toBe('network-error');
    expect(classifyOutcome({ ...base, serverBytes: 10, tcpError: { code: 'ECONNRESET', message: 'x' } }).outcome).toBe('closed');
  });

  it('deadline → timeout, with a TIMEOUT error when nothing else was said', () => {
    const c = classifyOutcome({ ...base, deadlineHit: true });
    expect(c.outcome).toBe('timeout');
    expect(c.error?.code).toBe('TIMEOUT');
  });

  it('a peer FIN before the handshake is closed', () => {
    const err = { code: 'ECONNRESET', message: 'Client network socket disconnected before secure TLS connection was established' };
    expect(classifyOutcome({ ...base, peerClosed: true, tlsError: err }).outcome).toBe('closed');
  });

  it('not-tls wins over the OpenSSL error and keeps its reason', () => {
    const c = classifyOutcome({ ...base, notTls: true, serverHead: [...Buffer.from('HTTP/1.1 400')], tlsError: sslError('wrong version number') });
    expect(c).toMatchObject({ outcome: 'not-tls', nonTlsPreview: 'HTTP/1.1 400', error: { opensslReason: 'wrong version number' } });
  });

  it('decoded alert, else the number in OpenSSL\'s message', () => {
    const decoded = classifyOutcome({ ...base, serverAlerts: [{ level: 2, description: 70, epoch: 'plaintext' }] });
    expect(decoded.alert).toEqual({ description: 70, name: 'protocol_version', during: 'handshake' });
    const fromMessage = classifyOutcome({ ...base, tlsError: sslError('sslv3 alert handshake failure', ':SSL alert number 40') });
    expect(fromMessage).toMatchObject({ outcome: 'alert', alert: { description: 40, name: 'handshake_failure' } });
  });

  it('names a received alert as OpenSSL 3.0 does, whatever OpenSSL the runtime bundles', () => {
    // OpenSSL 3.5 (Node 22.23.5, 24.22.3) says "ssl/tls alert handshake failure" where 3.0 says "sslv3 alert ...".
    const newer = sslError('ssl/tls alert handshake failure', ':SSL alert number 40');
    const c = classifyOutcome({ ...base, tlsError: { ...newer, message: newer.message.replace('0A000000', '0A000410') } });
    expect(c.error?.opensslReason).toBe('sslv3 alert handshake failure');
    expect(c.error?.message).toContain('ssl/tls alert handshake failure');
    expect(parseNodeOpensslMessage(c.error!.message)).toEqual({ hex: '0A000410', reason: 'sslv3 alert handshake failure', alert: 40 });
    expect(classifyOutcome({ ...base, tlsError: sslError('tlsv1 alert unknown ca') }).error?.opensslReason).toBe('tlsv1 alert unknown ca');
  });

  it('TLS 1.2 warning alerts and close_notify are not failures', () => {
    const c = classifyOutcome({ ...base, serverAlerts: [{ level: 1, description: 112, epoch: 'plaintext' }, { level: 1, description: 0, epoch: 'plaintext' }], peerClosed: true });
    expect(c.outcome).toBe('closed');
  });

  it('local OpenSSL errors are tls-error with the reason', () => {
    const c = classifyOutcome({ ...base, tlsError: sslError('unsupported protocol') });
    expect(c).toMatchObject({ outcome: 'tls-error', error: { code: 'ERR_SSL_UNSUPPORTED_PROTOCOL', opensslReason: 'unsupported protocol' } });
  });

  it('after the handshake: first-read alert, close without verdict, or success', () => {
    const done = { ...base, secureConnected: true, tls13: true, waitedForFirstRead: true };
    expect(classifyOutcome({ ...done, serverAlerts: [{ level: 2, description: 116, epoch: 'application' }] }).alert).toEqual({
      description: 116,
      name: 'certificate_required',
      during: 'first-read',
    });
    expect(classifyOutcome({ ...done, peerClosed: true }).outcome).toBe('closed');
    expect(classifyOutcome({ ...done, peerClosed: true, acceptedAfterHandshake: true }).outcome).toBe('handshake');
    expect(classifyOutcome({ ...done }).outcome).toBe('handshake');
    expect(classifyOutcome({ ...base, secureConnected: true }).error).toBeUndefined();
  });

  it('capture limit', () => {
    expect(classifyOutcome({ ...base, captureLimitHit: true }).error?.code).toBe('CAPTURE_LIMIT');
  });
});
