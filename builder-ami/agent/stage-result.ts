// What a stage hands back to runTask: the files for the result dir and results.json.
import type { RpmResults, SrpmResults } from './task.js';

export interface ResultFile {
  /** Path inside the task's result dir, e.g. "hello-1.0-1.fc41.noarch.rpm". */
  relativePath: string;
  localFile: string;
}

export interface StageResult {
  files: ResultFile[];
  results: SrpmResults | RpmResults;
  srpmFilename: string;
}
