/** The files the page's Source tab shows (meta.sources, in order), imported as text. */
import type { SourceText } from '../shared/source';
import { meta } from './meta';
import mainTs from './main.ts?raw';
import runTs from './run.ts?raw';
import specTs from '../../bench/lab/spec.ts?raw';
import runnerTs from '../../bench/lab/runner.ts?raw';
import stepsTs from '../../bench/lab/presets/matmul-steps.ts?raw';
import dropoutTs from '../../bench/lab/presets/dropout.ts?raw';

const TEXTS = [mainTs, runTs, specTs, runnerTs, stepsTs, dropoutTs];
/** The Source tab's files with their text. */
export const SOURCES: SourceText[] = meta.sources.map((path, i) => ({ path, text: TEXTS[i] }));
