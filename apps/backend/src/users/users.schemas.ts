import { isUserId } from '@taskdash/contract';
import { z } from 'zod';
import { ROLES } from '../auth/principal.types';

export const UserIdParamSchema = z.string().refine(isUserId, 'must be a user id');
export const SetRoleSchema = z.strictObject({ role: z.enum(ROLES) });
export const RevokeTokenSchema = z.strictObject({
  userId: z.string().refine(isUserId, 'must be a user id'),
  jti: z.string().min(1).max(200),
  /** When the token expires (ISO-8601); the revocation is kept until then. @default 30 days */
  expiresAt: z.iso.datetime().optional(),
});
