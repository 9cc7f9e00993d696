// What the service needs from the alarm catalog (stacks/alarms/catalog.ts provides the real one;
// the lead wires it in main.ts). Kept as an interface so the API does not depend on the stacks.
export interface AlarmCatalogEntry {
  id: string;
  title: string;
  description: string;
}

export interface AlarmSetDescription {
  name: string;
  description: string;
  entries: AlarmCatalogEntry[];
}

export interface AlarmCatalog {
  list(): AlarmSetDescription[];
  has(name: string): boolean;
}
