/**
 * `--fetch-allow` / `--fetch-deny` of the commands that fetch AIA caIssuers URLs (probe, nginx): the address
 * policy of src/fetch/address-policy.ts, and one stderr line for every fetch it refuses (the refusal is also in
 * the report's `fetched[]`, like any failed fetch).
 */
import { AddressListError, fetchPolicy, parseRules } from '../fetch/address-policy.js';
import type { FetchCaIssuersOptions } from '../fetch/aia.js';
import type { CliIO } from './io.js';
import { UsageError } from './usage-error.js';

export interface FetchPolicyOptionValues {
  fetchAllow?: string[];
  fetchDeny?: string[];
}

export type FetchPolicyOptions = Pick<FetchCaIssuersOptions, 'addressPolicy' | 'onRefused'>;

export function fetchPolicyFromOptions(o: FetchPolicyOptionValues, io: CliIO): FetchPolicyOptions {
  let addressPolicy;
  try {
    addressPolicy = fetchPolicy(parseRules(o.fetchAllow ?? [], 'allow', '--fetch-allow'), parseRules(o.fetchDeny ?? [], 'deny', '--fetch-deny'));
  } catch (e) {
    if (e instanceof AddressListError) throw new UsageError(e.code, e.message, { cause: e });
    throw e;
  }
  return { addressPolicy, onRefused: (url, because) => io.stderr(`tlsdoctor: not fetching ${url}: ${because}\n`) };
}
