/**
 * What the targets of one `check` run share. A fleet repeats itself: every upstream behind one CA sends the same
 * intermediates, upstreams behind one load balancer or with one wildcard certificate the same leaf, and most
 * targets are healthy with the same (empty) reason list. With the run's clock fixed (CheckRun.at), equal inputs
 * give equal diagnoses and equal expiry rows, so 10,000 results hold one copy of each instead of 10,000: a
 * result keeps its own identity fields and points at shared, never-mutated parts (README "Speed": peak RSS).
 *
 * One memo per run, never per process: `serve` judges every scrape at its own time, so nothing would ever be
 * shared between scrapes and a process-wide memo would only retain (it did: 1,024 diagnoses kept for nothing).
 */
import type { Diagnosis } from '../diagnosis/types.js';
import type { CheckedCert, CheckResult, Forecast } from './types.js';

type AddressVerdicts = NonNullable<CheckResult['addresses']>;

/** Distinct handshake outcomes remembered; beyond that the oldest is dropped (a fleet of distinct leaves). */
const MAX_DIAGNOSES = 1024;
/** Distinct reason lists remembered (combinations of finding codes: few in practice). */
const MAX_REASONS = 256;
/** Distinct forecasts remembered (a date and a certificate: about one per distinct path). */
const MAX_FORECASTS = 1024;
/** Distinct per-address verdict lists remembered (an address and its verdict: one per upstream at most). */
const MAX_ADDRESSES = 4096;

export class RunMemo {
  private readonly diagnoses = new Map<string, Diagnosis>();
  private readonly paths = new WeakMap<Diagnosis, CheckedCert[]>();
  private readonly clients = new WeakMap<object, CheckedCert[]>();
  private readonly reasons = new Map<string, string[]>();
  private readonly addressLists = new Map<string, AddressVerdicts>();
  private readonly forecasts = new Map<string, Forecast>();
  diagnosisHits = 0;

  /** The run's clock: rows derived from dates are shared only for this instant. */
  constructor(readonly atMs: number) {}

  /** The diagnosis already made for `key`, or make() remembered (least recently added dropped first). */
  diagnosis(key: string, make: () => Diagnosis): Diagnosis {
    const hit = this.diagnoses.get(key);
    if (hit) {
      this.diagnosisHits++;
      return hit;
    }
    const d = make();
    if (this.diagnoses.size >= MAX_DIAGNOSES) this.diagnoses.delete(this.diagnoses.keys().next().value as string);
    this.diagnoses.set(key, d);
    return d;
  }

  /** The expiry rows of a diagnosis' path: one array per Diagnosis object. */
  path(d: Diagnosis, make: () => CheckedCert[]): CheckedCert[] {
    return remembered(this.paths, d, make);
  }

  /** The expiry rows of a client certificate file (keyed by the loaded material, itself cached per file). */
  clientCerts(material: object, make: () => CheckedCert[]): CheckedCert[] {
    return remembered(this.clients, material, make);
  }

  /** One array per distinct reason list. */
  reason(codes: string[]): string[] {
    return interned(this.reasons, MAX_REASONS, codes.join(','), codes);
  }

  /**
   * One object per distinct forecast: targets alike fail at the same instant for the same certificate. Interned
   * by value once made (forecastFailure is cheap; keeping 10,000 equal copies is not: ~150 bytes each).
   */
  forecast(f: Forecast): Forecast {
    return interned(this.forecasts, MAX_FORECASTS, JSON.stringify(f), f);
  }

  /** One array per distinct list of address verdicts (targets repeating an upstream, several ports of one host). */
  addresses(list: AddressVerdicts): AddressVerdicts {
    return interned(this.addressLists, MAX_ADDRESSES, JSON.stringify(list), list);
  }
}

/** The value remembered under `key`, else `value` (remembered while the map holds fewer than `max`). */
function interned<V>(map: Map<string, V>, max: number, key: string, value: V): V {
  const hit = map.get(key);
  if (hit !== undefined) return hit;
  if (map.size < max) map.set(key, value);
  return value;
}

function remembered<K extends object, V>(map: WeakMap<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}
