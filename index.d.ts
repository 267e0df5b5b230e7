// Types for tls-inspect's public API.

export type LibcFamily = 'glibc' | 'musl' | 'unknown';
export type TlsModel = 'initial-exec' | 'global-dynamic' | 'local-dynamic' | 'tlsdesc';
export type FixtureModel = TlsModel | 'local-exec';

export interface LibcInfo {
  family: LibcFamily;
  version: string | null;
  loader: string | null;
}

export interface TlsRelocationCounts {
  tpoff: number;
  dtpmod: number;
  dtpoff: number;
  tlsdesc: number;
}

export interface ModuleTls {
  modid: number;
  size: number;
  initSize: number;
  align: number;
  placement: 'static' | 'dynamic' | 'unallocated';
  offset: number | null;
}

export interface LoadedModule {
  path: string;
  name: string;
  base: string;
  main: boolean;
  vdso: boolean;
  loader: boolean;
  tls: ModuleTls | null;
  staticTlsFlag: boolean;
  tlsRelocations: TlsRelocationCounts;
  tlsModels: TlsModel[];
}

export interface StaticTls {
  libc: LibcFamily;
  size: number;
  align: number;
  tcbSize: number;
  used: number;
  remaining: number;
  surplus: number;
  tunables: { nns: number; optionalStaticTls: number };
  exact: boolean;
  source: string;
  note: string | null;
}

export interface Report {
  libc: LibcInfo;
  staticTls: StaticTls;
  modules: LoadedModule[];
  node: string;
  napi: number;
  arch: string;
  pid: number;
}

export function libc(): LibcInfo;
export function modules(): LoadedModule[];
export function staticTls(): StaticTls;
export function report(): Report;

export const fixtures: {
  list(): Partial<Record<'glibc' | 'musl', Record<string, string>>>;
  template(model: FixtureModel, libc?: 'glibc' | 'musl'): string;
  path(model: TlsModel, bytes: number, libc?: 'glibc' | 'musl'): string;
  models: FixtureModel[];
};

export class TlsInspectError extends Error {
  code: string;
}
