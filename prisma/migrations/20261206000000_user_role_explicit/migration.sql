-- A users row records what the server itself decided. Its role is set only by an admin
-- (PUT /users/:id/role) and is NULL otherwise, in which case the token's role applies.
-- Before this migration, "log out everywhere", disable and enable created rows holding a
-- role copied from a token; those cannot be told apart from explicit settings here, so
-- existing rows keep their role. Review them with: SELECT id, role FROM users;
ALTER TABLE "users" ALTER COLUMN "role" DROP NOT NULL;
ALTER TABLE "users" ADD COLUMN "role_set_by" TEXT;
ALTER TABLE "users" ADD COLUMN "role_set_at" TIMESTAMPTZ(3);
