import type { Server as HttpServer } from 'node:http';
import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { taskStream } from '@taskdash/contract';
import {
  AppLogger,
  AppModule,
  ClaudeEventsService,
  closeRuntime,
  configureApp,
  EventPublisher,
  EventTransactions,
  ExecutionsQueue,
  JobHandlerRegistry,
  openRuntime,
  QueueEventsService,
  SystemEventsService,
  TaskEventsService,
  type AppRuntime,
} from '@taskdash/backend';
import { EventCollector, subscribe } from '../../../test/event-collector';
import { expectEventually } from '../../../test/eventually';
import { connectSocket, connected, startTestApp, type TestApp } from '../../../test/test-app';

/** A host's provider in a module of its own that imports none of the backend's modules. */
@Injectable()
class HostProbe {
  constructor(
    readonly tasks: TaskEventsService,
    readonly queue: QueueEventsService,
    readonly claude: ClaudeEventsService,
    readonly system: SystemEventsService,
    readonly transactions: EventTransactions,
    readonly publisher: EventPublisher,
    readonly handlers: JobHandlerRegistry,
    readonly jobs: ExecutionsQueue,
  ) {}
}

@Module({ providers: [HostProbe] })
class HostFeatureModule {}

describe('the backend inside a host application', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ redis: true, imports: [HostFeatureModule] });
  });
  afterAll(() => t?.close());

  it('injects every event service into a provider of any module', () => {
    const probe = t.app.get(HostProbe);
    expect(probe.tasks).toBe(t.app.get(TaskEventsService));
    expect(probe.claude).toBe(t.app.get(ClaudeEventsService));
    for (const service of Object.values(probe)) expect(service).toBeDefined();
    expect(probe.handlers.names()).toContain('execution');
  });

  describe('a Nest application the host creates itself', () => {
    let runtime: AppRuntime;
    let host: INestApplication | undefined;

    @Module({})
    class HostRootModule {}

    const create = async () => {
      runtime = await openRuntime(t.runtime.config, new AppLogger({ level: 'error', format: 'json' }));
      host = await NestFactory.create(
        { module: HostRootModule, imports: [AppModule.register(runtime), HostFeatureModule] },
        { logger: false },
      );
      return host;
    };
    afterEach(async () => {
      await host?.close();
      host = undefined;
      await closeRuntime(runtime);
    });

    it('refuses to start without configureApp instead of serving without the Redis adapter', async () => {
      const app = await create();
      await expect(app.init()).rejects.toThrow('call configureApp(app, runtime)');
    });

    it('with configureApp is one more node: an event published on another node reaches its sockets', async () => {
      const app = await create();
      configureApp(app, runtime);
      await app.listen(0, '127.0.0.1');
      const { port } = (app.getHttpServer() as HttpServer).address() as { port: number };
      const created = await t.http('POST', '/tasks', 'hana', { title: 'hosted' });
      const taskId = (created.body as { id: string }).id;
      const socket = connectSocket(`http://127.0.0.1:${port}`, t.token('hana'));
      try {
        await connected(socket);
        const got = new EventCollector(socket);
        expect((await subscribe(socket, [{ stream: taskStream(taskId) }])).ok).toBe(true);
        // Published through the other node's HTTP API; reaches this node through Redis.
        expect(
          (await t.http('PUT', `/tasks/${taskId}/status`, 'hana', { status: 'in_progress' })).status,
        ).toBe(200);
        await expectEventually(() => expect(got.all.map((e) => e.type)).toContain('task.status_changed'));
        // And the host's own provider publishes through the same path.
        await app.get(HostProbe).tasks.statusChanged({ taskId, from: 'in_progress', to: 'done' });
        await expectEventually(() =>
          expect(got.all.filter((e) => e.type === 'task.status_changed')).toHaveLength(2),
        );
      } finally {
        socket.disconnect();
      }
    });
  });
});
