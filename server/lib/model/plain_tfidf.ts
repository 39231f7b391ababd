/**
 * The reference point the edge model has to beat: plain TF-IDF over the process name, the
 * parent name and the command line, as an off-the-shelf text classifier would see them
 * (scikit-learn's TfidfVectorizer defaults: lower case, word tokens of two or more characters,
 * smooth IDF, raw term counts, L2 norm), fed to the same logistic regression. No engineered
 * features, no placeholders, no de-personalisation, no per-group weighting: every difference
 * between this and the shipped model is the project's feature work.
 */
import type { ProcessEvent } from '../../../common/types/process_event';
import type { SparseRow } from './features';

const WORD = /[\p{L}\p{N}_]{2,}/gu;

export interface PlainTfidfConfig {
  /** Keep tokens found in at least this many training events. */
  minDf: number;
  /** Keep at most this many tokens (the most frequent). */
  maxVocab: number;
}

export const DEFAULT_PLAIN_TFIDF: PlainTfidfConfig = { minDf: 2, maxVocab: 20_000 };

function baseName(path: string | undefined): string {
  if (!path) return '';
  const i = Math.max(path.lastIndexOf('\\'), path.lastIndexOf('/'));
  return i < 0 ? path : path.slice(i + 1);
}

/** The text one event contributes: its name, its parent's name and its command line. */
function documentOf(e: ProcessEvent): string {
  const name = e.process.name || baseName(e.process.executable);
  const parent = e.process.parent.name || baseName(e.process.parent.executable);
  const cmd = e.process.command_line ?? e.process.args?.join(' ') ?? '';
  return `${name} ${parent} ${cmd}`.toLowerCase();
}

function tokensOf(e: ProcessEvent): string[] {
  return documentOf(e).match(WORD) ?? [];
}

export class PlainTfidfSpace {
  readonly dimension: number;
  private readonly index: Map<string, number>;

  private constructor(
    readonly vocabulary: readonly string[],
    private readonly idf: Float64Array,
  ) {
    this.index = new Map(vocabulary.map((t, i) => [t, i]));
    this.dimension = vocabulary.length;
  }

  static fit(
    events: readonly ProcessEvent[],
    config: PlainTfidfConfig = DEFAULT_PLAIN_TFIDF,
  ): PlainTfidfSpace {
    const df = new Map<string, number>();
    for (const e of events) for (const t of new Set(tokensOf(e))) df.set(t, (df.get(t) ?? 0) + 1);
    const vocabulary = [...df.entries()]
      .filter(([, n]) => n >= config.minDf)
      // Deterministic: frequency first, then the token text.
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
      .slice(0, config.maxVocab)
      .map(([t]) => t)
      .sort();
    const n = events.length;
    const idf = Float64Array.from(
      vocabulary,
      (t) => Math.log((1 + n) / (1 + (df.get(t) ?? 0))) + 1,
    );
    return new PlainTfidfSpace(vocabulary, idf);
  }

  /** Same call shape as FeatureSpace.extractSparse; context and options do not apply here. */
  extractSparse(event: ProcessEvent, _ctx?: unknown, _options?: unknown): SparseRow {
    const counts = new Map<number, number>();
    for (const t of tokensOf(event)) {
      const i = this.index.get(t);
      if (i !== undefined) counts.set(i, (counts.get(i) ?? 0) + 1);
    }
    const indices = Int32Array.from([...counts.keys()].sort((a, b) => a - b));
    const raw = Array.from(indices, (i) => (counts.get(i) as number) * (this.idf[i] as number));
    const norm = Math.sqrt(raw.reduce((s, v) => s + v * v, 0)) || 1;
    return { indices, values: Float32Array.from(raw, (v) => v / norm) };
  }
}
