import { describe, expect, it } from 'vitest';
import type { ProcessEvent } from '../../../common/types/process_event';
import { commandLineTemplate } from './command_line_template';
import { InMemoryPrevalence, PrevalenceLog } from './prevalence';
import { PrevalenceIndex } from './prevalence_index';
import { creation } from './testing/events';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');

/** A creation at epoch ms `t` (NaN: a record without a usable time). */
function ev(host: string, parent: string, child: string, cmd: string, t: number): ProcessEvent {
  return creation(
    host,
    parent,
    child,
    cmd,
    Number.isFinite(t) ? new Date(t).toISOString() : 'not a time',
  );
}

function logOf(events: readonly ProcessEvent[]): PrevalenceLog {
  const log = new PrevalenceLog();
  for (const e of events) log.add(e);
  return log;
}

const pairQ = (parentName: string, childName: string) => ({ parentName, childName });
const cmdQ = (processName: string, cmd: string) => ({
  processName,
  template: commandLineTemplate(cmd),
});

describe('PrevalenceIndex', () => {
  // Four days of a small fleet: a routine job everywhere every day, one rare step on day 3.
  const events: ProcessEvent[] = [];
  for (let day = 0; day < 4; day++)
    for (let h = 0; h < 5; h++) {
      const t = T0 + day * DAY + h * 60_000;
      events.push(ev(`ws${h}`, 'services.exe', 'svchost.exe', 'svchost.exe -k netsvcs', t));
      events.push(ev(`ws${h}`, 'cmd.exe', 'ipconfig.exe', `ipconfig /all`, t + 1000));
    }
  events.push(ev('ws1', 'winword.exe', 'cmd.exe', 'cmd /c whoami', T0 + 2 * DAY + 5_000));

  it('over the whole input, answers exactly as InMemoryPrevalence does', async () => {
    const index = PrevalenceIndex.fromLog(logOf(events), { lookbackDays: 30 });
    const ref = await InMemoryPrevalence.fromEvents(events, {
      lookbackDays: 30,
      asOf: T0 + 4 * DAY,
    });
    const view = index.at(T0 + 4 * DAY);
    const pairs = [
      pairQ('services.exe', 'svchost.exe'),
      pairQ('WINWORD.EXE', 'cmd.exe'),
      pairQ('cmd.exe', 'nltest.exe'),
    ];
    const cmds = [cmdQ('ipconfig.exe', 'ipconfig /all'), cmdQ('cmd.exe', 'cmd /c whoami')];
    expect(await view.childGivenParent(pairs)).toEqual(await ref.childGivenParent(pairs));
    expect(await view.cmdlineGivenProcess(cmds)).toEqual(await ref.cmdlineGivenProcess(cmds));
    expect(await view.environment()).toEqual(await ref.environment());
  });

  it('counts only the lookback ending at the view: later events never, older ones aged out', async () => {
    const index = PrevalenceIndex.fromLog(logOf(events), { lookbackDays: 2 });
    const [day0] = await index
      .at(T0 + DAY - 1)
      .childGivenParent([pairQ('cmd.exe', 'ipconfig.exe')]);
    expect(day0).toMatchObject({ pairCount: 5, parentTotal: 5, distinctHosts: 5 });
    // Before the rare step happened, it was never seen; the day after, once.
    const before = index.at(T0 + 2 * DAY - 1);
    const after = index.at(T0 + 3 * DAY - 1);
    expect((await before.childGivenParent([pairQ('winword.exe', 'cmd.exe')]))[0]?.pairCount).toBe(
      0,
    );
    expect((await after.childGivenParent([pairQ('winword.exe', 'cmd.exe')]))[0]).toMatchObject({
      pairCount: 1,
      distinctHosts: 1,
      firstSeen: new Date(T0 + 2 * DAY + 5_000).toISOString(),
    });
    // On the last day, two days back reach day 2 only (day 0 and day 1 have aged out).
    const last = index.at(T0 + 4 * DAY - 1);
    const [svc] = await last.childGivenParent([pairQ('services.exe', 'svchost.exe')]);
    expect(svc).toMatchObject({
      pairCount: 10,
      firstSeen: new Date(T0 + 2 * DAY).toISOString(),
    });
    expect(await last.environment()).toMatchObject({
      hosts: 5,
      events: 21,
      from: new Date(T0 + 2 * DAY).toISOString(),
    });
  });

  it('judges a host-window by the lookback ending at its end, and undated events by the newest', async () => {
    const undated = ev('ws9', 'cmd.exe', 'ipconfig.exe', 'ipconfig /all', NaN);
    const index = PrevalenceIndex.fromLog(logOf([...events, undated]), { lookbackDays: 30 });
    const day1 = index.forWindow({
      start: new Date(T0 + DAY).toISOString(),
      end: new Date(T0 + 2 * DAY).toISOString(),
    });
    // Days 0 and 1, plus the undated event, which counts in every lookback.
    const [p] = await day1.childGivenParent([pairQ('cmd.exe', 'ipconfig.exe')]);
    expect(p).toMatchObject({ pairCount: 11, distinctHosts: 6 });
    // The same view serves every window ending there.
    expect(
      index.forWindow({
        start: new Date(T0 + DAY + 3_600_000).toISOString(),
        end: new Date(T0 + 2 * DAY).toISOString(),
      }),
    ).toBe(day1);
    // Undated events are windowed at the epoch; they are judged against everything.
    const epoch = index.forWindow({
      start: new Date(0).toISOString(),
      end: new Date(DAY).toISOString(),
    });
    expect((await epoch.childGivenParent([pairQ('cmd.exe', 'ipconfig.exe')]))[0]?.pairCount).toBe(
      21,
    );
    expect(index.summary()).toMatchObject({
      events: 42,
      hosts: 6,
      undated: 1,
      datedInTheFuture: 0,
    });
  });

  it('never counts events dated after the newest plausible time, and says how many there were', async () => {
    const forged = ev(
      'ws0',
      'cmd.exe',
      'ipconfig.exe',
      'ipconfig /all',
      Date.parse('9999-01-01T00:00:00Z'),
    );
    const index = PrevalenceIndex.fromLog(logOf([...events, forged]), {
      lookbackDays: 30,
      asOf: T0 + 4 * DAY,
    });
    const forgedWindow = index.forWindow({
      start: '9999-01-01T00:00:00.000Z',
      end: '9999-01-02T00:00:00.000Z',
    });
    expect(forgedWindow).toBe(index.at(T0 + 4 * DAY));
    const [p] = await forgedWindow.childGivenParent([pairQ('cmd.exe', 'ipconfig.exe')]);
    expect(p?.pairCount).toBe(20);
    expect(index.summary()).toMatchObject({ events: 42, datedInTheFuture: 1, undated: 0 });
  });

  it('counts distinct hosts exactly, however many there are', async () => {
    const many = Array.from({ length: 300 }, (_, h) =>
      ev(`host-${h}`, 'explorer.exe', 'notepad.exe', 'notepad.exe', T0 + h),
    );
    const view = PrevalenceIndex.fromLog(logOf(many)).at(Infinity);
    const [p] = await view.childGivenParent([pairQ('explorer.exe', 'notepad.exe')]);
    expect(p).toMatchObject({ pairCount: 300, distinctHosts: 300 });
    expect((await view.environment()).hosts).toBe(300);
  });
});
