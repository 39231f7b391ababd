/**
 * MODEL_CARD.md: the human-readable account of a trained model — data, features, held-out
 * metrics per split and source, and known limits — generated from meta.json so it cannot drift.
 */
import { DENSE_FEATURES } from './features';
import type { ModelMeta } from './model_files';
import type { EvaluationReport, SelectionResult, SplitResult } from './training';

function fmt(v: number | undefined, digits = 3): string {
  if (v === undefined || Number.isNaN(v)) return 'n/a';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '-∞';
  return v.toFixed(digits);
}

function splitTable(split: SplitResult): string[] {
  const lines = [
    `#### ${split.split}`,
    '',
    split.description +
      (split.folds > 1 ? ` (${split.folds} folds, scores pooled out of fold)` : ''),
    '',
    '| source | events | malicious | ROC AUC | PR AUC | recall @1% FPR | recall @5% FPR |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const [src, m] of Object.entries(split.metrics)) {
    lines.push(
      `| ${src} | ${m.n} | ${m.positives} | ${fmt(m.rocAuc)} | ${fmt(m.prAuc)} | ${fmt(m.recallAt1Fpr)} | ${fmt(m.recallAt5Fpr)} |`,
    );
  }
  if (split.foldRocAuc?.length)
    lines.push(
      '',
      `Per-fold ROC AUC on held-out OTRF: ${split.foldRocAuc.map((v) => fmt(v)).join(', ')}`,
    );
  for (const [src, r] of Object.entries(split.recallOnly ?? {})) {
    lines.push(
      '',
      `Recall-only check, ${src} (${r.n} events, all positive; thresholds from ${r.thresholdsFrom}): ` +
        `recall ${fmt(r.recallAt1FprThreshold)} at the 1% FPR threshold (${fmt(r.threshold1Fpr, 4)}), ` +
        `${fmt(r.recallAt5FprThreshold)} at the 5% FPR threshold (${fmt(r.threshold5Fpr, 4)}).`,
    );
  }
  for (const [src, q] of Object.entries(split.qualitative ?? {})) {
    lines.push(
      '',
      `Qualitative, ${src} (${q.n} events, no per-event labels): mean score ${fmt(q.meanScore)}, ` +
        `${fmt(q.shareAbove5FprThreshold * 100, 1)}% above the 5% FPR threshold.`,
    );
  }
  lines.push('');
  return lines;
}

const KIND_TITLE: Record<EvaluationReport['kind'], string> = {
  plain_tfidf: 'Baseline: plain TF-IDF + logistic regression',
  logreg: 'Logistic regression',
  mlp: 'MLP',
  widedeep: 'Wide and deep',
  ensemble: 'Ensemble (logistic regression + MLP, logits averaged)',
};

function networkLine(meta: ModelMeta): string {
  const n = meta.network;
  const d = meta.featureDimension;
  const mlp = `dense ${d} → ${n.hidden} ReLU (dropout ${n.dropout}) → 1`;
  switch (n.kind) {
    case 'logreg':
      return `logistic regression over ${d} inputs`;
    case 'mlp':
      return `${mlp} sigmoid`;
    case 'widedeep':
      return `wide and deep: linear over ${d} inputs + ${mlp}, summed, sigmoid`;
    case 'ensemble':
      return `ensemble of a logistic regression over ${d} inputs and an MLP (${mlp}), trained separately, logits averaged, sigmoid (stored as one wide-and-deep network)`;
  }
}

/** The held-out figures the model is judged by, beside the plain baseline. */
function headline(evaluations: readonly EvaluationReport[], chosen: string): string[] {
  const rows = evaluations.filter((e) => e.kind === chosen || e.kind === 'plain_tfidf');
  if (rows.length === 0) return [];
  const lines = [
    '## Held-out results at a glance',
    '',
    'ROC AUC / recall at 5% FPR on OTRF data left out of training (never a dataset on both sides). `otrf_all` pools Sysmon and 4688 events.',
    '',
    '| model | split | otrf_all | otrf_sysmon | otrf_4688 |',
    '|---|---|---|---|---|',
  ];
  for (const e of rows) {
    for (const s of e.splits) {
      if (!s.metrics.otrf_all) continue;
      const cell = (src: string): string => {
        const m = s.metrics[src];
        return m ? `${fmt(m.rocAuc)} / ${fmt(m.recallAt5Fpr)}` : 'n/a';
      };
      lines.push(
        `| ${e.kind === chosen ? `**${KIND_TITLE[e.kind]}** (shipped)` : KIND_TITLE[e.kind]} | ${s.split} | ${cell('otrf_all')} | ${cell('otrf_sysmon')} | ${cell('otrf_4688')} |`,
      );
    }
  }
  lines.push('');
  return lines;
}

export interface ModelCardInput {
  meta: ModelMeta;
  evaluations: EvaluationReport[];
  selection?: SelectionResult;
  /** Free-text description of how the data was produced (e.g. the CLI command). */
  command?: string;
  vocabularySize: number;
  /** The vocabulary's minimum number of distinct datasets/hosts per token. */
  minGroups?: number;
  modelBytes?: number;
}

export function renderModelCard(input: ModelCardInput): string {
  const { meta } = input;
  const lines: string[] = [
    `# Model card: ${meta.name}`,
    '',
    `Edge-score model for ProblemChild: scores one parent→child process-creation event from 0 (benign) to 1 (anomalous); the score weights the edge in the per-host process graph.`,
    '',
    `- Trained: ${meta.trainedAt}; seed ${meta.seed}; network: ${networkLine(meta)}; L2 ${meta.network.l2}, Adam lr ${meta.network.learningRate}, ${meta.network.epochs} epochs, batch ${meta.network.batchSize}.`,
    ...(input.modelBytes
      ? [`- Size: weights.bin ${(input.modelBytes / 1024).toFixed(0)} KiB.`]
      : []),
    ...(input.command ? [`- Reproduce: \`${input.command}\``] : []),
    '',
    ...headline(input.evaluations, meta.network.kind),
    '## Data used',
    '',
    '| source | description | events | malicious | datasets/hosts |',
    '|---|---|---|---|---|',
    ...meta.data.map(
      (d) => `| ${d.source} | ${d.description} | ${d.events} | ${d.malicious} | ${d.groups} |`,
    ),
    '',
    'Recorded data is read through the project normaliser with Sysmon/4688 twins kept apart, so each process is seen once with Sysmon fields and once with Security 4688 fields; labels are joined on `_rid` (a merged event would be malicious if any of its records is). Training weight: see notes below.',
    '',
    '## Features',
    '',
    `- ${DENSE_FEATURES.length} dense features: parent age (log, with missing flag); tri-state signed / signer trusted / elevated; SYSTEM-LocalService-NetworkService account; name ≠ PE original name (missing original name is a separate flag); executable and parent folder class one-hots; integrity level one-hot; command-line length, entropy, base64 blob, -EncodedCommand, URL, IP, hidden window, ^ \` ' + % counts; out-of-vocabulary rates.`,
    `- ${input.vocabularySize} TF-IDF tokens (vocabulary, not hashing, so explanations name real tokens) over process name, parent name, parent→child pair, executable folder, parent folder and command-line tokens, after normalisation (lower case, user profiles → \`<user>\`, system folders → classes, GUIDs, SHA-256/SHA-1/MD5 before generic hex, long numbers, IPs, URLs, UNC hosts, base64 blobs → placeholders; the event's own user, host and domain names blanked; any token naming a user, host or domain seen in training is excluded from the vocabulary; a token must occur in at least ${input.minGroups ?? 2} datasets/hosts).`,
    "- Not used (label leaks / source artefacts): Sysmon RuleName, host and user names, dataset names, record ids, event.action/code, Elastic's own score.",
    '',
    '## Evaluation (held out by whole dataset, host or lab; vocabulary refitted per fold)',
    '',
  ];
  for (const ev of input.evaluations) {
    lines.push(`### ${KIND_TITLE[ev.kind]}${ev.kind === meta.network.kind ? ' (chosen)' : ''}`, '');
    for (const s of ev.splits) lines.push(...splitTable(s));
  }
  if (input.selection) {
    const s = input.selection;
    lines.push(
      '### Model choice',
      '',
      `Rule: ${s.rule}.`,
      '',
      '| candidate | mean ROC AUC | mean PR AUC | mean recall @5% FPR | score |',
      '|---|---|---|---|---|',
      ...Object.entries(s.scores).map(
        ([kind, k]) =>
          `| ${KIND_TITLE[kind as EvaluationReport['kind']]}${kind === s.chosen ? ' → **chosen**' : ''} | ${fmt(k.rocAuc)} | ${fmt(k.prAuc)} | ${fmt(k.recallAt5Fpr)} | ${fmt(k.score)} |`,
      ),
      '',
    );
  }
  lines.push(
    '## Known limits',
    '',
    '- Recorded training data is small (about 2,400 labelled OTRF events from a handful of labs, many near-duplicate captures) and its labels are rule-derived; synthetic data comes from our own generator, so metrics on synthetic hosts are optimistic and share its blind spots.',
    '- `otrf_4688` events lack PE original names and parent command lines, and their user is the creator account; Sysmon events carry no token elevation type. No recorded source has code-signature fields, so signed/trusted are "unknown" there and only the synthetic data (half of it shown in the ECS view) teaches them.',
    '- Scores are not calibrated probabilities: training balances the classes (and recorded vs synthetic data), so a score of 0.9 does not mean a 90% chance of an attack at real-world base rates. Pick graph thresholds from the FPR thresholds above, not from 0.5.',
    '- Thresholds at 1%/5% FPR are chosen on held-out lab benign data; a real network has far more, and more varied, benign activity: expect more false positives, which the prevalence stage is meant to suppress.',
    '- Whether a parent\'s start time is known is a capture artefact (sigma_regression positives are isolated events, OTRF parents often started before the capture, the generator simulates from boot); half of the training events are therefore shown with the parent age hidden so the "missing" flag stays close to neutral. In production it depends on the detection lookback window.',
    '- The vocabulary only knows tokens seen in at least two datasets/hosts; novel tools are visible through out-of-vocabulary rates and obfuscation statistics, not by name.',
    '- sigma_regression events are isolated single events (no parent context); evtx_attack_samples has no per-event labels and is reported only as a flag rate.',
    '',
  );
  if (meta.notes?.length) lines.push('## Notes', '', ...meta.notes.map((n) => `- ${n}`), '');
  return lines.join('\n');
}
