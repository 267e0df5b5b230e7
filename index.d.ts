// Types for tls-inspect's public API.

export type LibcFamily = 'glibc' | 'musl' | 'unknown';
export type TlsModel = 'initial-exec' | 'global-dynamic' | 'local-dynamic' | 'tlsdesc';
export type FixtureModel = TlsModel | 'local-exec';
/** The other fixtures the build makes (see docs/development.md, Fixtures). */
export type FixtureName = FixtureModel | 'initial-exec-align128' | 'culprit' | 'culprit-stripped' | 'threads' |
  'probe' | 'addon' | 'dep' | 'needs-dep' | 'needs-dep-origin' | 'napi9' | 'undefined' | 'execstack' |
  'glibc-only' | 'cxx';

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
  preloaded: boolean;
  /** Present when the module's memory could not be read (its file truncated in place). */
  unreadable?: true;
}

export interface StaticTls {
  libc: LibcFamily;
  size: number;
  align: number;
  tcbSize: number;
  used: number;
  remaining: number;
  surplus: number;
  /** TLS ABI variant: 2 = blocks below the thread pointer (x86, s390x), 1 = above it (aarch64, arm, ppc64, mips). */
  variant: 1 | 2;
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
  /** The tls-inspect addon binary this process loaded (build/Release or a prebuild). */
  addon: { path: string | null };
}

export interface TlsSymbol {
  name: string;
  demangled: string | null;
  size: number;
  bind: 'local' | 'global' | 'weak' | 'other';
  defined: boolean;
}

/** An undefined dynamic symbol and the dynamic relocations that name it. */
export interface Import {
  name: string;
  /** The needed version (.gnu.version_r), null when unversioned. */
  version: string | null;
  /** The library that version need names, null when unversioned. */
  from: string | null;
  type: 'func' | 'object' | 'tls' | 'notype' | 'ifunc' | 'other';
  weak: boolean;
  /** JUMP_SLOT relocations: bound lazily by glibc under RTLD_LAZY. */
  plt: number;
  /** GLOB_DAT relocations: bound at load by glibc; deferred with the PLT ones by musl under RTLD_LAZY. */
  got: number;
  /** Every other relocation type naming it (absolute, copy, TLS...): bound at load by both. */
  other: number;
  /** A TPOFF (initial-exec) relocation names it. */
  initialExec: boolean;
  /** A TLSDESC relocation names it. */
  tlsdesc: boolean;
}

export interface AnalysisTlsRelocations extends TlsRelocationCounts {
  /** TPOFF relocations against this file's own TLS block (symbol 0 or defined here). */
  tpoffOwn: number;
  /** TLSDESC relocations against this file's own TLS block. */
  tlsdescOwn: number;
}

export interface Analysis {
  path: string;
  class: 32 | 64;
  endian: 'le' | 'be';
  machine: string;
  machineNumber: number;
  type: 'NONE' | 'REL' | 'EXEC' | 'DYN' | 'CORE' | string;
  interpreter: string | null;
  soname: string | null;
  needed: string[];
  rpath: string[];
  runpath: string[];
  flags: { staticTls: boolean; bindNow: boolean; nodelete: boolean; symbolic: boolean; textrel: boolean;
    origin: boolean; pie: boolean; execStack: boolean; noopen: boolean; nodeflib: boolean };
  /** PT_TLS p_memsz, p_filesz, p_align, p_vaddr (vaddr modulo align: where the block starts in its aligned area) */
  tls: { size: number; initSize: number; align: number; vaddr: number } | null;
  tlsRelocations: AnalysisTlsRelocations;
  tlsModels: TlsModel[];
  tlsSymbols: TlsSymbol[];
  versionNeeds: Record<string, string[]>;
  versionDefs: string[];
  symbolVersions: Record<string, string[]>;
  minGlibc: string | null;
  minGlibcxx: string | null;
  libc: 'glibc' | 'musl' | 'android' | 'static' | 'unknown';
  /** declared: what node_api_module_get_api_version_v1 returns, read from its code; null without it, 'unknown' for code in no known form. */
  napi: { imports: string[]; minVersion: number; experimental: string[]; unknown: string[]; declared: number | 'unknown' | null } | null;
  /** How the addon registers with Node: `version` its NODE_MODULE_VERSION (null for Node-API, 'unknown' when a
   *  legacy addon's struct node_module is not found), `contextAware` whether Node can load it in more than one
   *  context; null for a file that is no Node addon, and for a light analysis. */
  abi: { version: number | 'unknown' | null; source: 'node_register_module_v' | 'node_module_register' | 'napi';
    contextAware: boolean | 'unknown' } | null;
  sectionHeaders: boolean;
  symtab: boolean;
  /** "st_dev:st_ino" of the file read: the identity the loader compares to tell a file is already loaded. */
  fileId: string | null;
  /** Every undefined dynamic symbol, in .dynsym order. */
  imports: Import[];
  /** Every defined dynamic symbol with global, weak or unique binding, in .dynsym order:
   *  `name`, `name@@VERSION` (default version) or `name@VERSION` (hidden version).
   *  Read on first access (the same file read again; TI_EIO if it changed since, or the
   *  error of reading it, e.g. TI_ENOENT once deleted) when there are over 2,048, and in
   *  check() and scan() results (see docs/api.md). */
  exports: string[];
}

export type ProblemCode = 'LIBC_MISMATCH' | 'GLIBC_TOO_OLD' | 'GLIBCXX_TOO_OLD' | 'VERSION_NOT_FOUND' |
  'STATIC_TLS_EXHAUSTED' | 'STATIC_TLS_LOW' | 'MUSL_INITIAL_EXEC' | 'MISSING_LIBRARY' | 'UNDEFINED_SYMBOL' |
  'NODE_ABI_MISMATCH' | 'ARCH_MISMATCH' | 'BAD_INTERPRETER' | 'NAPI_VERSION' | 'NAPI_EXPERIMENTAL' | 'NAPI_DECLARED' | 'NOT_ELF' |
  'NO_BINARY' | 'LOADER_LIMIT' | 'LOADER_BLOCKS' | 'NOT_DLOPENABLE' | 'PRELOAD_REQUIRED' | 'MODULE_NOT_REGISTERED' |
  'NOT_CONTEXT_AWARE' | 'EXEC_STACK';

export interface Problem {
  code: ProblemCode;
  severity: 'error' | 'warning';
  message: string;
  fix: string;
  symbols?: string[];
  tlsSize?: number;
  remaining?: number;
  /** STATIC_TLS_EXHAUSTED by alignment: the module's PT_TLS p_align and the static area's. */
  tlsAlign?: number;
  staticAlign?: number;
  tunable?: string;
  /** What the tunable costs (threads with small stacks fail), or why none is offered. */
  tunableRisk?: string;
  /** The library the problem is in (the one holding the TLS, the one not found...). */
  library?: string;
  path?: string | null;
  /** How the load reaches it: ['top.node', 'libmid.so', 'libdeep.so']. */
  chain?: string[];
  neededBy?: string;
  /** STATIC_TLS_EXHAUSTED: bytes of static TLS the whole load needs. */
  needed?: number;
  tlsSymbols?: { name: string; demangled: string | null; size: number }[];
  /** MUSL_INITIAL_EXEC: the object whose relocation refers to the block. */
  relocating?: string;
  versions?: string[];
  tried?: string[];
  abi?: number;
  targetAbi?: number;
}

export interface ClosureEntry {
  name: string;
  path: string | null;
  /** new: loaded by this load; loaded: already in the process; system: what a target has;
   * unresolved: a system library of a target that cannot be seen; missing: not found;
   * refused: found, and glibc's dlopen refuses to map it (NOT_DLOPENABLE). */
  status: 'new' | 'loaded' | 'system' | 'unresolved' | 'missing' | 'refused';
  /** The object that needs it: follow neededBy for the whole chain (problems carry theirs). */
  neededBy: string | null;
  /** the rule that found it: 'RPATH of <object>', 'RUNPATH of <object>', 'LD_LIBRARY_PATH', 'ld.so.cache',
   * 'default directories', '/etc/ld-musl-<arch>.path', 'path' (a DT_NEEDED with '/'); null when not searched */
  via: string | null;
  /** the RPATH/RUNPATH entry as written that found it ('$ORIGIN/../lib'), else null */
  entry: string | null;
  /** what its DT_NEEDED entries resolved to: indexes into closure (-1: the file itself), null for none */
  needs: Array<number | null>;
  tls: { size: number; align: number; static: boolean; models: TlsModel[] } | null;
}

/** tree(): one node of the load closure drawn as a tree. */
export interface TreeNode {
  name: string;
  path: string | null;
  /** 'file' for the root, else the ClosureEntry status */
  status: 'file' | ClosureEntry['status'];
  /** short rule: 'RPATH', 'RUNPATH' (with ' $ORIGIN' when the entry used it), 'LD_LIBRARY_PATH', 'ld.so.cache',
   * 'default', 'path', 'musl-path', 'loaded' (already in the process), 'system' (the target's); null: not found */
  rule: string | null;
  via: string | null;
  entry: string | null;
  neededBy: string | null;
  tls: { size: number; align: number; models: TlsModel[]; placement: 'static' | 'dynamic' } | null;
  /** the problems that name this library (the file's own ones on the root) */
  problems: Array<{ code: ProblemCode; severity: 'error' | 'warning'; message: string; fix: string }>;
  /** under the object whose search found them; a library needed again elsewhere is { name, path, seen: true } */
  children: Array<TreeNode | { name: string; path: string | null; seen: true }>;
}


export interface RunsOn {
  os: 'linux';
  cpu: string | null;
  libc: string;
  glibc: string | null;
  glibcxx: string | null;
  musl: string | null;
  muslBecause: string | null;
  napi: number | null;
  abi: number | null;
  staticTls: number;
}

export interface CheckResult {
  path: string;
  target: string;
  ok: boolean;
  verdict: 'compatible' | 'risky' | 'incompatible' | 'error' | 'skipped';
  problems: Problem[];
  analysis: Analysis | null;
  closure?: ClosureEntry[];
  staticTls?: { before: number; after: number; needed: number } | null;
  runsOn?: RunsOn | null;
  alreadyLoaded?: true;
  error?: { code: string; message: string };
  /** scan(): why a native file that would not load on the target was not judged. */
  /** when the path is a symlink: the real path that was judged (scan, checkPackage) */
  realPath?: string;
  /** a skipped link: the real path judged under another name */
  sameAs?: string;
  reason?: string;
  package?: string | null;
  convention?: string;
  /** scan(): a package without a binary for the target (NO_BINARY): the platforms its binaries cover */
  covers?: string[];
  /** the common platforms (linux x64/arm64 glibc/musl, darwin, win32-x64) they do not reach */
  uncovered?: string[];
}

export interface TogetherResult {
  target: string;
  ok: boolean;
  /** 'error' when a file could not be read (its entry carries `error`). */
  verdict: 'compatible' | 'risky' | 'incompatible' | 'error';
  failsAt: string | null;
  files: CheckResult[];
  staticTls: { before: number | null; after: number | null; needed: number };
}

export interface PackageResult extends CheckResult {
  selected: string | null;
  convention: string;
  package: string | null;
  version: string | null;
  why: string;
  files?: CheckResult[];
  /** false: the package needs no native binary (JavaScript only; ok, nothing judged) */
  native?: false;
  /** the platforms its installed binaries cover: 'linux-x64-glibc', 'linux-arm64', 'darwin-arm64', ... */
  covers: string[];
  uncovered: string[];
}

export type Cpu = 'x64' | 'arm64' | 'arm' | 'ia32' | 's390x' | 'ppc64' | 'riscv64';

export interface CheckOptions {
  /** host, musl, alpine, glibc, glibc@X.Y, musl@X.Y.Z, or a preset (debian-12, node:20-alpine, electron-33...). */
  target?: string;
  cpu?: Cpu;
  libc?: 'glibc' | 'musl';
  os?: 'linux';
  /** The target's root file system (a debootstrap tree, an extracted image, /usr/<triple>): its libraries,
   * ld.so.cache, libc release and libstdc++ decide, as on the host; the target's Node release stays. */
  sysroot?: string;
  /** Problem codes left out of the verdict. */
  ignore?: ProblemCode[];
}

export interface ScanSummary {
  dir: string;
  target: string;
  total: number;
  compatible: number;
  risky: number;
  incompatible: number;
  skipped: number;
  error: number;
  skippedBy: Record<string, number>;
  staticTls: { needed: number; before: number | null };
}

export interface ReproduceOptions {
  model: FixtureModel;
  /** The fixture's TLS size: an integer from 8 to 1073741824 (1 GiB), else TI_EINVAL. */
  bytes?: number;
  libc?: 'host' | 'glibc' | 'musl';
  /** GLIBC_TUNABLES for the child: name=value pairs joined by ':', at most 4096 characters, else TI_EINVAL. */
  tunables?: string;
  preload?: boolean;
}

export interface ReproduceResult {
  libc: 'glibc' | 'musl';
  model: FixtureModel;
  bytes: number | null;
  fixture?: string;
  tunables?: string | null;
  preload?: boolean;
  stage: 'load' | 'link';
  loaded: boolean;
  error: string | null;
  staticTlsBefore: StaticTls | null;
  predicted: { loaded: boolean; reason: string };
  fixes: string[];
}

export interface Diagnosis {
  kind: 'static-tls' | 'version' | 'missing-library' | 'undefined-symbol' | 'wrong-class' | 'not-elf' |
    'exec-stack' | 'not-dlopenable' | 'not-registered' | 'not-context-aware' | 'preload-required' | 'node-abi' | 'no-binary' | 'unknown';
  code: ProblemCode | null;
  libc: 'glibc' | 'musl' | null;
  module: string | null;
  symbol: string | null;
  definedIn: string | null;
  library?: string | null;
  version?: string | null;
  elfClass?: string | null;
  /** not-elf, exec-stack, musl missing-library: the loader's reason */
  reason?: string | null;
  /** node-abi: the NODE_MODULE_VERSION the file was built for, and the one running */
  abi?: { built: number | null; running: number | null };
  /** what the file needs that the system lacks ("musl 1.2.5 (Alpine 3.20+)", "Node-API 3 (...)") */
  needs?: string;
  /** the fact that decided the code */
  because?: string;
  /** no-binary: the platform package this system needs, its os/cpu/libc, and which loader reported it */
  package?: string;
  platform?: { os: string; cpu: string; libc: 'glibc' | 'musl' | null };
  why?: 'missing-module' | 'esbuild' | 'sharp' | 'napi-rs' | 'bindings';
  message: string;
  fix: string | null;
  tunable?: string;
  tlsSymbols?: TlsSymbol[];
  check: CheckResult | null;
}

export function explain(errorOrMessage: unknown, options?: { path?: string; check?: boolean }): Diagnosis;

export interface WhyResult {
  target: string;
  /** the file require() resolved to in the child, null when it could not resolve */
  resolved: string | null;
  loaded: boolean;
  /** the error require() threw (first message and code), or why the child gave no report */
  error: { message: string; code: string | null } | null;
  /** explain() of the error and its causes, when it failed */
  diagnosis: Diagnosis | null;
  /** when it loaded: static TLS left before and after, and what the load took */
  staticTls: { remainingBefore: number; remainingAfter: number; taken: number } | null;
  /** the package the file belongs to, and checkPackage() of it */
  package: { dir: string; result: PackageResult | null; error?: string } | null;
}
/** require() the module or file in a child Node with this process's flags and environment, and explain the outcome. */
export function why(target: string, options?: { cwd?: string; env?: Record<string, string | undefined>; execArgv?: string[]; timeout?: number }): Promise<WhyResult>;
export function checkSync(path: string, options?: CheckOptions): CheckResult;
export function analyze(path: string): Promise<Analysis>;
export function analyzeSync(path: string): Analysis;
export function check(path: string, options?: CheckOptions): Promise<CheckResult>;
export function checkTogether(paths: string[], options?: CheckOptions): Promise<TogetherResult>;
export function checkPackage(dir?: string, options?: CheckOptions): Promise<PackageResult>;
/** check() of the file plus `tree`: its load closure as lddtree/libtree show it (CLI: check --tree). */
export function tree(path: string, options?: CheckOptions): Promise<CheckResult & { tree: TreeNode }>;
/** dir defaults to the node_modules require() uses from the working directory (walking up); TI_ENOENT when none. */
export function scan(dir?: string, options?: CheckOptions & { concurrency?: number; all?: boolean }):
  AsyncIterableIterator<CheckResult> & { summary: ScanSummary };
export function reproduce(options: ReproduceOptions): Promise<ReproduceResult>;

export function libc(): LibcInfo;
export function modules(): LoadedModule[];
export function staticTls(): StaticTls;
export function report(): Report;

export const fixtures: {
  list(): Partial<Record<'glibc' | 'musl', Record<string, string>>>;
  template(model: FixtureName, libc?: 'glibc' | 'musl'): string;
  /** A resized copy in $XDG_CACHE_HOME/tls-inspect/fixtures (or ~/.cache/...) when only this user can write
   * there, else in a private temp dir removed at exit; a cached copy is used only after its content is verified. */
  path(model: TlsModel, bytes: number, libc?: 'glibc' | 'musl'): string;
  models: FixtureModel[];
};

export class TlsInspectError extends Error {
  code: string;
}
