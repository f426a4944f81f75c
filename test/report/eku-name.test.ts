/** EKUs are shown by name (issue 14: they were OIDs), in inspect and in BAD_PURPOSE's text. */
import { expect, it } from 'vitest';
import { ekuNames } from '../../src/report/eku-name.js';
import { runCli } from '../helpers/cli.js';
import { FIXTURE_CLOCK, fixturePath } from '../helpers/fixtures.js';

it('names the purposes OpenSSL names; an unknown OID stays an OID', () => {
  expect(ekuNames(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2', '1.2.3.4'])).toEqual(['serverAuth', 'clientAuth', '1.2.3.4']);
  expect(ekuNames('1.3.6.1.5.5.7.3.4,2.5.29.37.0')).toEqual(['emailProtection', 'anyExtendedKeyUsage']);
});

it('inspect and verify print names', async () => {
  const inspect = await runCli(['inspect', fixturePath('leaf-client-eku.pem'), '--at', FIXTURE_CLOCK.toISOString()]);
  expect(inspect.stdout).toContain('EKU clientAuth');
  const verify = await runCli(['verify', '--chain', fixturePath('leaf-client-eku.pem'), '--untrusted', fixturePath('int1.pem'), '--ca', fixturePath('root.pem'), '--proxy-ssl-name', 'upstream.test', '--at', FIXTURE_CLOCK.toISOString()]);
  expect(verify.stdout).toContain('extended key usage is clientAuth without serverAuth');
});
