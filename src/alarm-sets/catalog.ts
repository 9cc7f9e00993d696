// What the service needs from the alarm catalog (stacks/alarms/catalog.ts provides the real one;
// the lead wires it in main.ts). Kept as an interface so the API does not depend on the stacks.
export interface AlarmCatalogEntry {
  id: string;
  title: string;
  description: string;
  /** The filter pattern in each pattern profile (alarms.profile of a trail request). */
  patterns?: Record<string, string>;
  /** CIS benchmark recommendations and Security Hub controls the entry implements. */
  controls?: { cis: string[]; securityHub: string[] };
}

export interface AlarmSetDescription {
  name: string;
  description: string;
  /** Pattern profiles a request can choose, and the one it gets by default. */
  profiles?: string[];
  defaultProfile?: string;
  entries: AlarmCatalogEntry[];
}

export interface AlarmCatalog {
  list(): AlarmSetDescription[];
  has(name: string): boolean;
}
