/**
 * A structural fake of Kibana's alerting plugin for the rule type's tests, following
 *  - x-pack/platform/plugins/shared/alerting/server/rule_type_registry.ts
 *    (@0bbac85b7395b49564373d8508da2c98447a25e7) register(): duplicate ids, duration-shaped
 *    defaultScheduleInterval, reserved action groups ("recovered") refused;
 *  - alerts_client/types.ts (@023dbe9a5732a251d589a468e6e35f1802afa8b7) PublicAlertsClient.report;
 *  - types.ts (@03e79409d866616c68b231c63c1f25daa6060fdd) RuleExecutorOptions: the task runner
 *    passes back the state the previous run returned, and startedAt / previousStartedAt.
 */
import type { AlertContext, AlertingSetup, PublicAlertsClient, RuleType } from '../contracts';

const DURATION = /^[1-9]\d*[smhd]$/;
const RESERVED_GROUPS = ['recovered'];

export interface ReportedAlert {
  id: string;
  actionGroup: string;
  context?: AlertContext;
}

export class FakeAlerting {
  readonly types = new Map<string, RuleType<unknown, Record<string, unknown>>>();

  readonly setupContract: AlertingSetup = {
    registerType: (t) => {
      const ruleType = t as unknown as RuleType<unknown, Record<string, unknown>>;
      if (this.types.has(ruleType.id))
        throw new Error(`Rule type "${ruleType.id}" is already registered.`);
      if (ruleType.defaultScheduleInterval && !DURATION.test(ruleType.defaultScheduleInterval))
        throw new Error(`Rule type "${ruleType.id}" has invalid default interval`);
      const reserved = ruleType.actionGroups.filter((g) => RESERVED_GROUPS.includes(g.id));
      if (reserved.length)
        throw new Error(`Action groups [recovered] are reserved by the framework.`);
      this.types.set(ruleType.id, ruleType);
    },
  };

  /** One rule with its state carried between runs, as the task runner does. */
  rule(typeId: string, rawParams: unknown, spaceId = 'default') {
    const type = this.types.get(typeId);
    if (!type) throw new Error(`Rule type "${typeId}" is not registered.`);
    const params = type.validate.params.validate(rawParams);
    let state: Record<string, unknown> = {};
    let previousStartedAt: Date | null = null;
    return {
      get state() {
        return state;
      },
      run: async (startedAt: Date): Promise<ReportedAlert[]> => {
        const reported: ReportedAlert[] = [];
        const alertsClient: PublicAlertsClient = {
          report: (a) => {
            if (!type.actionGroups.some((g) => g.id === a.actionGroup))
              throw new Error(`unknown action group ${a.actionGroup}`);
            if (reported.some((r) => r.id === a.id))
              throw new Error(`alert ${a.id} reported twice`);
            reported.push({ id: a.id, actionGroup: a.actionGroup, context: a.context });
            return { uuid: `uuid-${a.id}`, start: startedAt.toISOString() };
          },
        };
        const out = await type.executor({
          executionId: `exec-${startedAt.getTime()}`,
          params,
          state,
          startedAt,
          previousStartedAt,
          spaceId,
          rule: { id: 'rule-1', name: 'test rule' },
          services: {
            alertsClient: type.alerts?.shouldWrite ? alertsClient : null,
            alertFactory: {
              create: (id) => ({
                scheduleActions: (actionGroup, context) =>
                  alertsClient.report({ id, actionGroup, context }),
              }),
            },
            shouldStopExecution: () => false,
          },
        });
        // The task runner stores the returned state as JSON in the task document.
        state = JSON.parse(JSON.stringify(out.state)) as Record<string, unknown>;
        previousStartedAt = startedAt;
        return reported;
      },
    };
  }
}
