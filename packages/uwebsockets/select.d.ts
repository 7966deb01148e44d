export interface BuildCandidate {
  name: string;
  load: () => unknown;
}
export interface SelectedBuild {
  name: string;
  module: unknown;
}
export const REQUIREMENTS: string;
export function selectBuild(
  candidates: BuildCandidate[],
  opts?: { log?: (line: string) => void; proc?: NodeJS.Process },
): SelectedBuild;
