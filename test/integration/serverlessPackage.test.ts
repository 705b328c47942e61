import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAMBDA_PDF_WORKER, lambdaPdfWorkerFile } from '../../functions/lib/lambdaContext.ts';
import { workerPdfSessions } from '../../src/render/pdf/workerPdfs.ts';
import { expectSamePdfsAsHere } from '../support/monthPdfs.ts';

/**
 * Packages the service for stage "ci" (offline: no AWS credentials, externals installed from the npm
 * cache) and checks the CloudFormation template and the artifacts, then imports a packaged handler.
 */
const run = promisify(execFile);
const root = resolve(import.meta.dirname, '../..');
const outDir = join(root, '.serverless');
const FUNCTIONS = [
  'dailyMeter',
  'monthlyReport',
  'backfillPlan',
  'backfillShards',
  'backfillDay',
  'backfillMonth',
];
const TEN_MB = 10 * 1024 * 1024;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the generated CloudFormation template is untyped JSON
type Json = any;
type Resource = { Type: string; Condition?: string; Properties: Record<string, Json> };
interface Statement {
  Sid?: string;
  Action: string | string[];
  Resource: Json;
  Condition?: Json;
}
let resources: Record<string, Resource>;
let packageSeconds = 0;
let unpacked: string;

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);

beforeAll(async () => {
  const started = Date.now();
  await run('timeout', ['300', 'npx', 'serverless', 'package', '--stage', 'ci'], {
    cwd: root,
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' },
    maxBuffer: 20 * 1024 * 1024,
  });
  packageSeconds = (Date.now() - started) / 1000;
  const template = JSON.parse(
    await readFile(join(outDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  );
  resources = template.Resources;
  unpacked = await mkdtemp(join(tmpdir(), 'sls-unpacked-'));
  await run('unzip', ['-q', join(outDir, 'monthlyReport.zip'), '-d', unpacked]);
}, 400_000);

afterAll(async () => {
  if (unpacked) await rm(unpacked, { recursive: true, force: true });
});

describe('serverless package --stage ci', () => {
  it('packages within five minutes', () => {
    console.info(`serverless package took ${packageSeconds.toFixed(1)} s`);
    expect(packageSeconds).toBeLessThan(300);
  });

  it('builds every function on nodejs22.x with an ESM handler', () => {
    const functions = ofType('AWS::Lambda::Function');
    expect(functions.map(([id]) => id).sort()).toEqual([
      'BackfillDayLambdaFunction',
      'BackfillMonthLambdaFunction',
      'BackfillPlanLambdaFunction',
      'BackfillShardsLambdaFunction',
      'DailyMeterLambdaFunction',
      'MonthlyReportLambdaFunction',
    ]);
    for (const [, fn] of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs22.x');
      expect(fn.Properties.Handler).toMatch(/^functions\/\w+\.handler$/);
    }
  });

  it('keeps every artifact under 10 MB', async () => {
    for (const name of FUNCTIONS) {
      const { size } = await stat(join(outDir, `${name}.zip`));
      console.info(`${name}.zip: ${(size / 1024 / 1024).toFixed(2)} MB`);
      expect(size).toBeLessThan(TEN_MB);
    }
  });

  it('schedules the daily and monthly runs with EventBridge Scheduler in the billing time zone', () => {
    const schedules = ofType('AWS::Scheduler::Schedule').map(([, r]) => r.Properties);
    expect(schedules.map((s) => [s.ScheduleExpression, s.ScheduleExpressionTimezone]).sort()).toEqual([
      ['cron(0 6 1 * ? *)', 'Asia/Seoul'],
      ['cron(30 1 * * ? *)', 'Asia/Seoul'],
    ]);
    expect(schedules.every((s) => s.Target.Input === '{}')).toBe(true);
  });

  it('grants least privilege: no wildcard actions, S3 only under the prefix, metrics only in the namespace', () => {
    const role = resources.IamRoleLambdaExecution!;
    const statements: Statement[] = role.Properties.Policies.flatMap((p: Json) => p.PolicyDocument.Statement);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.some((a) => a === '*' || a.endsWith(':*'))).toBe(false);
    expect(actions).not.toContain('states:StartExecution');

    const bySid = Object.fromEntries(statements.filter((s) => s.Sid).map((s) => [s.Sid, s]));
    expect(bySid.ReportObjectsReadWrite.Resource).toBe(
      'arn:aws:s3:::ci-gpu-chargeback-reports/gpu-chargeback/*',
    );
    // Multipart uploads of large CSVs need no more than PutObject, plus the abort of a failed one.
    expect(bySid.ReportObjectsReadWrite.Action).toEqual([
      's3:GetObject',
      's3:PutObject',
      's3:AbortMultipartUpload',
    ]);
    expect(bySid.ReportPrefixList.Condition).toEqual({ StringLike: { 's3:prefix': ['gpu-chargeback/*'] } });
    expect(bySid.LockAndStaleMirrorDelete.Resource).toEqual([
      'arn:aws:s3:::ci-gpu-chargeback-reports/gpu-chargeback/*/.lock',
      'arn:aws:s3:::ci-gpu-chargeback-reports/gpu-chargeback/*/teams/*',
    ]);
    expect(bySid.RunMetrics.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'GpuChargeback' } });

    const kms = resources.ReportKeyPolicy!;
    expect(kms.Condition).toBe('HasKmsKey');
    expect(kms.Properties.PolicyDocument.Statement[0]).toMatchObject({
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000',
      Condition: { StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' } },
    });
    const amp = resources.PrometheusQueryPolicy!.Properties.PolicyDocument.Statement[0];
    expect(amp.Action).toContain('aps:QueryMetrics');
    expect(amp.Resource['Fn::Sub']).toMatch(/:workspace\/ws-00000000-0000-0000-0000-000000000000$/);
  });

  it('gives the functions that publish a month enough /tmp for its spooled CSVs', () => {
    const storage = Object.fromEntries(
      ofType('AWS::Lambda::Function').map(([id, fn]) => [id, fn.Properties.EphemeralStorage?.Size ?? 512]),
    );
    expect(storage).toEqual({
      BackfillDayLambdaFunction: 512,
      BackfillMonthLambdaFunction: 4096,
      BackfillPlanLambdaFunction: 512,
      BackfillShardsLambdaFunction: 512,
      DailyMeterLambdaFunction: 512,
      MonthlyReportLambdaFunction: 4096,
    });
  });

  it('passes the bucket, KMS key and time zone to the functions', () => {
    const env = resources.MonthlyReportLambdaFunction!.Properties.Environment.Variables;
    expect(env).toMatchObject({
      OUTPUT_LOCATION: 's3://ci-gpu-chargeback-reports/gpu-chargeback',
      OUTPUT_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000',
      BILLING_TIMEZONE: 'Asia/Seoul',
      CLOUDWATCH_NAMESPACE: 'GpuChargeback',
    });
  });

  it('alarms on a failed run and on coverage below the threshold', () => {
    const failed = resources.MonthlyReportFailedAlarm!.Properties;
    expect(failed).toMatchObject({
      MetricName: 'RunSuccess',
      Dimensions: [{ Name: 'Job', Value: 'monthly-report' }],
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
    });
    const coverage = resources.MonthlyCoverageLowAlarm!.Properties;
    expect(coverage).toMatchObject({
      MetricName: 'DataCoveragePct',
      Threshold: 95,
      ComparisonOperator: 'LessThanThreshold',
    });
    expect(resources.DailyMeterNotSucceedingAlarm!.Properties.TreatMissingData).toBe('breaching');
    expect(resources.BackfillFailedAlarm!.Properties.MetricName).toBe('ExecutionsFailed');
  });

  it('alarms when a message to a team lead failed (the metric deliverMonth counts)', () => {
    expect(resources.DeliveryFailedAlarm!.Properties).toMatchObject({
      MetricName: 'DeliveryFailures',
      Dimensions: [{ Name: 'Job', Value: 'monthly-report' }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      TreatMissingData: 'notBreaching',
    });
  });

  it('builds a dashboard whose body is valid JSON', () => {
    const [body, vars] = resources.Dashboard!.Properties.DashboardBody['Fn::Sub'];
    const filled = (body as string).replace(/\$\{([\w:]+)\}/g, (_, name: string) =>
      name === 'Threshold'
        ? String(vars[name])
        : name in vars && typeof vars[name] === 'string'
          ? vars[name]
          : 'x',
    );
    const dashboard = JSON.parse(filled);
    expect(dashboard.widgets.length).toBeGreaterThanOrEqual(5);
  });

  it('runs backfills as plan, a Map over days and their shards, then a Map over months', () => {
    const machine = resources.BackfillStateMachine!.Properties;
    const definition = JSON.parse(
      JSON.stringify(machine.DefinitionString['Fn::Sub'][0]).replace(/\$\{[\w.]+\}/g, 'arn:x'),
    );
    const states = JSON.parse(definition).States;
    expect(Object.keys(states)).toEqual(['Plan', 'MeterDays', 'ReportMonths']);
    expect(states.MeterDays).toMatchObject({ Type: 'Map', ItemsPath: '$.days', MaxConcurrency: 4 });
    // Each day: its shard plan, then a Map over the shards (each shard one metering Lambda).
    const day = states.MeterDays.Iterator;
    expect(day.StartAt).toBe('PlanShards');
    expect(day.States.PlanShards.Next).toBe('MeterShards');
    expect(day.States.MeterShards).toMatchObject({ Type: 'Map', ItemsPath: '$.shards', MaxConcurrency: 2 });
    expect(day.States.MeterShards.Parameters).toEqual({
      'date.$': '$.date',
      'shard.$': '$$.Map.Item.Value',
      'force.$': '$.force',
      'reason.$': '$.reason',
    });
    expect(states.ReportMonths.Iterator.States.ReportMonth.Retry[0].ErrorEquals).toEqual(['LockedError']);
    // The guard override of the execution input reaches every day and month step.
    for (const [state, item] of [
      ['MeterDays', 'date'],
      ['ReportMonths', 'month'],
    ] as const) {
      expect(states[state].Parameters).toEqual({
        [`${item}.$`]: '$$.Map.Item.Value',
        'force.$': '$.force',
        'reason.$': '$.reason',
      });
    }
    // A refusal or a lost race must not be retried into a restatement, at any depth.
    const tasks = (s: Json): Json[] =>
      Object.values((s.Iterator?.States ?? {}) as Record<string, Json>).flatMap((t) => [t, ...tasks(t)]);
    const retried = Object.values(states as Record<string, Json>)
      .flatMap((s) => tasks(s))
      .flatMap((s) => (s.Retry ?? []).flatMap((r: Json) => r.ErrorEquals));
    expect(retried).toContain('PrometheusQueryError');
    expect(retried).not.toContain('RefusedError');
    expect(retried).not.toContain('ConflictError');
  });

  it('sizes the metering Lambdas to the memory the shard plan is given', () => {
    const fn = (id: string) => resources[id]!.Properties;
    expect(fn('DailyMeterLambdaFunction').MemorySize).toBe(1769);
    expect(fn('BackfillDayLambdaFunction').MemorySize).toBe(1769);
    expect(fn('BackfillShardsLambdaFunction').Environment.Variables.METERING_MEMORY_MB).toBe('1769');
  });
});

describe('the packaged monthlyReport bundle', () => {
  it('imports in Node with the deployment environment and rejects a bad event by name', async () => {
    const script = join(unpacked, 'smoke.mjs');
    await writeFile(
      script,
      `const t0 = performance.now();
       const mod = await import('./functions/monthlyReport.mjs');
       const importMs = performance.now() - t0;
       let error;
       try { await mod.handler({ month: '2026-13' }); } catch (e) { error = e.name + ': ' + e.message; }
       console.log(JSON.stringify({ importMs, error }));`,
    );
    const { stdout } = await run(process.execPath, [script], {
      cwd: unpacked,
      env: {
        PATH: process.env.PATH,
        LAMBDA_TASK_ROOT: unpacked,
        GPU_CHARGEBACK_CONFIG_FILE: 'docs/config.example.yaml',
        OUTPUT_LOCATION: 's3://ci-gpu-chargeback-reports/gpu-chargeback',
        AMP_WORKSPACE_ID: 'ws-1',
        AWS_REGION: 'us-east-1',
        BILLING_TIMEZONE: 'Asia/Seoul',
        CLOUDWATCH_ENABLED: 'false',
      },
    });
    const result = JSON.parse(stdout.trim().split('\n').pop()!);
    console.info(`monthlyReport bundle import: ${result.importMs.toFixed(0)} ms`);
    expect(result.error).toBe(
      'InputError: monthlyReport: invalid event (month: must be a month written YYYY-MM); got {"month":"2026-13"}',
    );
  });

  it('ships pdfkit with its font metrics and the Korean font', async () => {
    const script = join(unpacked, 'pdf.cjs');
    await writeFile(
      script,
      `const PDFDocument = require('pdfkit');
       const font = require.resolve('@expo-google-fonts/noto-sans-kr/400Regular/NotoSansKR_400Regular.ttf');
       const doc = new PDFDocument();
       const chunks = [];
       doc.on('data', (c) => chunks.push(c));
       doc.on('end', () => console.log(Buffer.concat(chunks).subarray(0, 5).toString() + ' ' + require.resolve('pdfkit')));
       doc.font('Helvetica').text('GPU chargeback').font(font).text('팀별 비용');
       doc.end();`,
    );
    const { stdout } = await run(process.execPath, [script], {
      cwd: unpacked,
      env: { PATH: process.env.PATH },
    });
    expect(stdout.trim()).toBe(`%PDF- ${join(unpacked, 'node_modules/pdfkit/js/pdfkit.js')}`);
  });
});

describe('the packaged PDF worker thread (dist/lambda/pdfWorker.mjs)', () => {
  it('ships with the two functions that render PDFs, and no other', async () => {
    for (const name of FUNCTIONS) {
      const { stdout } = await run('unzip', ['-Z1', join(outDir, `${name}.zip`)], {
        maxBuffer: 20 * 1024 * 1024,
      });
      const ships = stdout.split('\n').includes(LAMBDA_PDF_WORKER);
      expect([name, ships]).toEqual([name, name === 'monthlyReport' || name === 'backfillMonth']);
    }
    // The handlers find it under LAMBDA_TASK_ROOT; outside Lambda there is none.
    expect(lambdaPdfWorkerFile({ LAMBDA_TASK_ROOT: unpacked })).toBe(join(unpacked, LAMBDA_PDF_WORKER));
    expect(lambdaPdfWorkerFile({})).toBeUndefined();
    expect(lambdaPdfWorkerFile({ LAMBDA_TASK_ROOT: root })).toBe(join(root, LAMBDA_PDF_WORKER));
    expect(lambdaPdfWorkerFile({ LAMBDA_TASK_ROOT: tmpdir() })).toBeUndefined();
  });

  it("renders, from the package's own pdfkit and fonts, the bytes the calling thread renders", async () => {
    const session = workerPdfSessions(join(unpacked, LAMBDA_PDF_WORKER))();
    try {
      session.start();
      expect(await expectSamePdfsAsHere(session)).toHaveLength(2);
    } finally {
      await session.close();
    }
  }, 60_000);
});
