/**
 * `detect --format json` written piece by piece: the same bytes as
 * `JSON.stringify(buildReport(...)) + "\n"`, without building the whole document first. With
 * `--all` on a fleet of small hosts the document holds every community: one string of it, plus
 * the report objects it was made from, came on top of the communities themselves (issue 18:
 * 200K single-event hosts peaked at 3.1 GB).
 */
import { buildReport, type DetectionRun, reportCommunity, type ReportSummary } from './detect_cli';

/** Output is handed to `write` in pieces of about this many characters. */
const PIECE_CHARS = 1 << 20;

export async function writeJsonReport(
  write: (text: string) => Promise<void> | void,
  input: Parameters<typeof buildReport>[0],
  run: DetectionRun,
  meta: Pick<ReportSummary, 'model' | 'threshold' | 'window' | 'seed' | 'lookbackDays'>,
  pieceChars = PIECE_CHARS,
): Promise<void> {
  // The summary and the flagged communities (few) as buildReport makes them.
  const { summary, communities: flagged } = buildReport(
    input,
    { ...run, result: { ...run.result, unflagged: undefined } },
    meta,
  );
  let piece = `{"summary":${JSON.stringify(summary)},"communities":[`;
  let first = true;
  const add = async (json: string): Promise<void> => {
    piece += first ? json : `,${json}`;
    first = false;
    if (piece.length >= pieceChars) {
      await write(piece);
      piece = '';
    }
  };
  for (const c of flagged) await add(JSON.stringify(c));
  for (const c of run.result.unflagged ?? []) await add(JSON.stringify(reportCommunity(c, false)));
  await write(`${piece}]}\n`);
}
