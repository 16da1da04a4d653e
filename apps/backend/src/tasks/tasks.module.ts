import { Module } from '@nestjs/common';
import { TaskAccessModule } from './task-access.module';
import { TasksController } from './tasks.controller';
import { TasksService } from './tasks.service';

@Module({ imports: [TaskAccessModule], controllers: [TasksController], providers: [TasksService] })
export class TasksModule {}
