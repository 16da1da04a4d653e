-- CreateTable
CREATE TABLE "alerts" (
    "id" UUID NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "alertname" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "labels" JSONB NOT NULL,
    "summary" TEXT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,
    "threshold" DOUBLE PRECISION NOT NULL,
    "starts_at" TIMESTAMPTZ(3) NOT NULL,
    "last_notified_at" TIMESTAMPTZ(3) NOT NULL,
    "notifications" INTEGER NOT NULL DEFAULT 1,
    "resolved_at" TIMESTAMPTZ(3),
    "acknowledged_by" TEXT,
    "acknowledged_at" TIMESTAMPTZ(3),

    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "alerts_starts_at_idx" ON "alerts"("starts_at");

-- At most one open occurrence per fingerprint (Prisma cannot express a partial index; kept here only).
CREATE UNIQUE INDEX "alerts_open_fingerprint_key" ON "alerts"("fingerprint") WHERE "resolved_at" IS NULL;
