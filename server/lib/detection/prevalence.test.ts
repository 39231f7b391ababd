import { describe, expect, it } from 'vitest';
import {
  describeCmdlinePrevalence,
  describePairPrevalence,
  describePeriod,
  HostCounter,
  InMemoryPrevalence,
  NoPrevalence,
  PrevalenceLog,
} from './prevalence';
import { commandLineTemplate } from './command_line_template';
import { creation, processEvent } from './testing/events';

const DAY = 86_400_000;

const ev = creation;

describe('InMemoryPrevalence', () => {
  it('counts P(child | parent) and P(template | process) over all hosts', async () => {
    const p = new InMemoryPrevalence();
    await p.addAll([
      ev('h1', 'cmd.exe', 'whoami.exe', 'whoami /all', 1000),
      ev('h2', 'cmd.exe', 'whoami.exe', 'WHOAMI /ALL', 2000),
      ev('h2', 'C:\\Windows\\System32\\cmd.exe', 'ping.exe', 'ping -n 4 10.0.0.1', 3000),
      ev('h2', 'cmd.exe', 'ping.exe', 'ping -n 1 10.0.0.2', 4000),
    ]);
    const [pair, never] = await p.childGivenParent([
      { parentName: 'CMD.EXE', childName: 'whoami.exe' },
      { parentName: 'cmd.exe', childName: 'nltest.exe' },
    ]);
    expect(pair).toMatchObject({
      parentName: 'cmd.exe',
      childName: 'whoami.exe',
      pairCount: 2,
      parentTotal: 4,
      distinctHosts: 2,
      probability: 0.5,
    });
    expect(pair?.firstSeen).toBe('2024-01-01T00:00:01.000Z');
    expect(pair?.lastSeen).toBe('2024-01-01T00:00:02.000Z');
    expect(never).toMatchObject({ pairCount: 0, parentTotal: 4, distinctHosts: 0, probability: 0 });

    const [ping] = await p.cmdlineGivenProcess([
      { processName: 'ping.exe', template: 'ping -n <num> <ip>' },
    ]);
    expect(ping).toMatchObject({
      templateCount: 2,
      processTotal: 2,
      distinctHosts: 1,
      probability: 1,
    });
    expect(await p.environment()).toMatchObject({ hosts: 2, events: 4, lookbackDays: 30 });
  });

  it('ignores events outside the lookback window ending at asOf', async () => {
    const asOf = Date.parse('2024-02-01T00:00:00.000Z');
    const p = new InMemoryPrevalence({ asOf, lookbackDays: 7 });
    p.add(
      processEvent({
        entity: 'a',
        parentName: 'cmd.exe',
        name: 'x.exe',
        t: '2024-01-10T00:00:00.000Z',
      }),
    );
    p.add(
      processEvent({
        entity: 'b',
        parentName: 'cmd.exe',
        name: 'x.exe',
        t: '2024-01-30T00:00:00.000Z',
      }),
    );
    p.add(
      processEvent({
        entity: 'c',
        parentName: 'cmd.exe',
        name: 'x.exe',
        t: '2024-02-02T00:00:00.000Z',
      }),
    );
    const [r] = await p.childGivenParent([{ parentName: 'cmd.exe', childName: 'x.exe' }]);
    expect(r?.pairCount).toBe(1);
    expect(p.ignored.outsideWindow).toBe(2);
  });

  it('stops storing new keys at maxKeys (they read as never seen)', async () => {
    const p = new InMemoryPrevalence({ maxKeys: 2 });
    p.add(ev('h', 'a.exe', 'b.exe', 'b'));
    p.add(ev('h', 'a.exe', 'c.exe', 'c'));
    const [b, c] = await p.childGivenParent([
      { parentName: 'a.exe', childName: 'b.exe' },
      { parentName: 'a.exe', childName: 'c.exe' },
    ]);
    expect(b?.pairCount).toBe(1);
    expect(c?.pairCount).toBe(0);
    expect(p.ignored.droppedKeys).toBeGreaterThan(0);
  });

  it('answers in input order with one answer per question', async () => {
    const p = new InMemoryPrevalence();
    p.add(ev('h', 'a.exe', 'b.exe', 'b'));
    const qs = Array.from({ length: 50 }, (_, i) => ({
      parentName: 'a.exe',
      childName: i % 2 ? 'b.exe' : `z${i}.exe`,
    }));
    const rs = await p.childGivenParent(qs);
    expect(rs.map((r) => r.childName)).toEqual(qs.map((q) => q.childName));
  });

  it('NoPrevalence knows nothing', async () => {
    const n = new NoPrevalence();
    expect(
      (await n.childGivenParent([{ parentName: 'A.exe', childName: 'b.exe' }]))[0],
    ).toMatchObject({ pairCount: 0, parentName: 'a.exe' });
    expect((await n.environment()).hosts).toBe(0);
  });
});

describe('HostCounter', () => {
  it('is exact for few hosts and close for many, with bounded memory', () => {
    const c = new HostCounter();
    for (let i = 0; i < 20; i++) c.add(i % 10);
    expect(c.count()).toBe(10);
    const big = new HostCounter();
    for (let i = 0; i < 3000; i++) big.add(i);
    for (let i = 0; i < 3000; i++) big.add(i); // repeats do not count
    expect(Math.abs(big.count() - 3000) / 3000).toBeLessThan(0.05);
  });
});

describe('plain-words prevalence', () => {
  const env = {
    hosts: 12,
    events: 1000,
    lookbackDays: 30,
    from: '2024-01-01T00:00:00.000Z',
    to: '2024-02-15T00:00:00.000Z',
  };

  it('describes a pair', () => {
    expect(
      describePairPrevalence(
        {
          parentName: 'cmd.exe',
          childName: 'whoami.exe',
          pairCount: 2,
          parentTotal: 100,
          distinctHosts: 1,
          probability: 0.02,
        },
        env,
      ),
    ).toBe(
      'cmd.exe → whoami.exe seen 2 times on 1 host in 30 days (2.0% of the 100 processes cmd.exe started)',
    );
    expect(
      describePairPrevalence(
        {
          parentName: 'winword.exe',
          childName: 'cmd.exe',
          pairCount: 0,
          parentTotal: 5,
          distinctHosts: 0,
          probability: 0,
        },
        env,
      ),
    ).toBe('winword.exe → cmd.exe never seen in 30 days');
  });

  it('describes a command-line shape', () => {
    expect(
      describeCmdlinePrevalence(
        {
          processName: 'whoami.exe',
          template: 'whoami /all',
          templateCount: 1,
          processTotal: 1,
          distinctHosts: 1,
          probability: 1,
        },
        env,
      ),
    ).toBe('whoami.exe ran as `whoami /all` 1 time on 1 host in 30 days (100% of its 1 run)');
  });

  it('does not call two hours of data "30 days"', () => {
    expect(
      describePeriod({
        lookbackDays: 30,
        from: '2024-01-01T00:00:00Z',
        to: '2024-01-01T02:00:00Z',
      }),
    ).toBe('2 hours');
    expect(
      describePeriod({
        lookbackDays: 30,
        from: '2024-01-01T00:00:00Z',
        to: '2024-01-01T00:00:10Z',
      }),
    ).toBe('the data seen so far');
    expect(describePeriod({ lookbackDays: 7 })).toBe('7 days');
    expect(
      describePeriod({
        lookbackDays: 7,
        from: '2024-01-01T00:00:00Z',
        to: new Date(Date.parse('2024-01-01T00:00:00Z') + 40 * DAY).toISOString(),
      }),
    ).toBe('7 days');
  });
});

describe('PrevalenceLog', () => {
  it('counts exactly what InMemoryPrevalence counts, with the window chosen afterwards', async () => {
    const events = [];
    for (let i = 0; i < 3_000; i++) {
      events.push(
        ev(
          `h${i % 7}`,
          ['cmd.exe', 'explorer.exe', 'C:\\Windows\\System32\\svchost.exe'][i % 3] as string,
          ['whoami.exe', 'ping.exe', 'powershell.exe', 'conhost.exe'][i % 4] as string,
          `tool -n ${i % 11} C:\\Users\\u${i % 5}\\x.txt`,
          i * 3_600_000,
        ),
      );
    }
    const log = new PrevalenceLog();
    for (const e of events) log.add(e);
    expect(log.size).toBe(events.length);
    expect(log.timesMs()[10]).toBe(Date.parse(events[10]?.['@timestamp'] as string));
    const opts = { lookbackDays: 30, asOf: 100 * DAY };
    const direct = await InMemoryPrevalence.fromEvents(events, opts);
    const logged = log.toPrevalence(opts);
    const pairs = [
      { parentName: 'cmd.exe', childName: 'whoami.exe' },
      { parentName: 'svchost.exe', childName: 'ping.exe' },
      { parentName: 'explorer.exe', childName: 'nothing.exe' },
    ];
    const cmds = events.slice(0, 40).map((e) => ({
      processName: e.process.name,
      template: commandLineTemplate(e.process.command_line),
    }));
    expect(await logged.childGivenParent(pairs)).toEqual(await direct.childGivenParent(pairs));
    expect(await logged.cmdlineGivenProcess(cmds)).toEqual(await direct.cmdlineGivenProcess(cmds));
    expect(await logged.environment()).toEqual(await direct.environment());
    expect(logged.ignored).toEqual(direct.ignored);
    expect(logged.ignored.outsideWindow).toBeGreaterThan(0);
  });
});
