import { Module } from '@nestjs/common';
import { TaskAccessModule } from '../auth/task-access.module';
import { TaskEventsService } from './task-events.service';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';

/** The task API and the task events; `TaskEventsService` is exported for other backend services. */
@Module({
  imports: [TaskAccessModule],
  controllers: [TasksController],
  providers: [TasksService, TaskEventsService],
  exports: [TaskEventsService],
})
export class TasksModule {}
