import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  UseGuards,
} from '@nestjs/common';
import type { TaskView } from '@taskdash/contract';
import { CurrentPrincipal } from '../auth/current-principal.decorator';
import { HttpAuthGuard } from '../auth/http-auth.guard';
import type { Principal } from '../auth/principal.types';
import { ZodValidationPipe } from '../common/zod-validation.pipe';
import {
  AddMemberSchema,
  ChangeStatusSchema,
  CreateTaskSchema,
  ListTasksSchema,
  TaskIdSchema,
  UpdateTaskSchema,
  UserIdSchema,
  type AddMemberBody,
  type ChangeStatusBody,
  type CreateTaskBody,
  type UpdateTaskBody,
} from './tasks.schemas';
import { TasksService } from './tasks.service';

const taskId = new ZodValidationPipe(TaskIdSchema);

@Controller('tasks')
@UseGuards(HttpAuthGuard)
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post()
  create(
    @CurrentPrincipal() principal: Principal,
    @Body(new ZodValidationPipe(CreateTaskSchema)) body: CreateTaskBody,
  ): Promise<TaskView> {
    return this.tasks.create(principal, body);
  }

  @Get()
  list(
    @CurrentPrincipal() principal: Principal,
    @Query(new ZodValidationPipe(ListTasksSchema)) query: { limit: number },
  ): Promise<TaskView[]> {
    return this.tasks.list(principal, query.limit);
  }

  @Get(':id')
  get(@CurrentPrincipal() principal: Principal, @Param('id', taskId) id: string): Promise<TaskView> {
    return this.tasks.get(principal, id);
  }

  @Patch(':id')
  update(
    @CurrentPrincipal() principal: Principal,
    @Param('id', taskId) id: string,
    @Body(new ZodValidationPipe(UpdateTaskSchema)) body: UpdateTaskBody,
  ): Promise<TaskView> {
    return this.tasks.update(principal, id, body);
  }

  @Put(':id/status')
  changeStatus(
    @CurrentPrincipal() principal: Principal,
    @Param('id', taskId) id: string,
    @Body(new ZodValidationPipe(ChangeStatusSchema)) body: ChangeStatusBody,
  ): Promise<TaskView> {
    return this.tasks.changeStatus(principal, id, body.status);
  }

  @Post(':id/members')
  addMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id', taskId) id: string,
    @Body(new ZodValidationPipe(AddMemberSchema)) body: AddMemberBody,
  ): Promise<TaskView> {
    return this.tasks.addMember(principal, id, body.userId);
  }

  @Delete(':id/members/:userId')
  removeMember(
    @CurrentPrincipal() principal: Principal,
    @Param('id', taskId) id: string,
    @Param('userId', new ZodValidationPipe(UserIdSchema)) userId: string,
  ): Promise<TaskView> {
    return this.tasks.removeMember(principal, id, userId);
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentPrincipal() principal: Principal, @Param('id', taskId) id: string): Promise<void> {
    await this.tasks.delete(principal, id);
  }
}
