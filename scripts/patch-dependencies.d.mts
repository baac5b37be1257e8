// Types of patch-dependencies.mjs.

export interface DependencyPatch {
  package: string;
  version: string;
  /** The file, relative to the package's directory. */
  file: string;
  /** The text replaced: it must be in the file exactly once. */
  find: string;
  replace: string;
}

export const PATCHES: DependencyPatch[];

/** 'patched', 'unpatched' (the text it replaces is there, once), or why neither. */
export function patchState(patch: DependencyPatch, root?: string): string;
