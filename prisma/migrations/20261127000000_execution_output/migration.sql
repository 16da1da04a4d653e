-- CreateTable
-- The raw output of an execution as a byte-addressed log (one row per chunk; stdout and
-- stderr share one sequence of offsets). Events on `execution:<id>` are trimmed by retention;
-- this table keeps every byte for as long as the execution exists.
CREATE TABLE "execution_output" (
    "execution_id" UUID NOT NULL,
    "offset" BIGINT NOT NULL,
    "length" INTEGER NOT NULL,
    "fd" SMALLINT NOT NULL,
    "bytes" BYTEA NOT NULL,
    "stored_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "execution_output_pkey" PRIMARY KEY ("execution_id","offset")
);

-- AddForeignKey
ALTER TABLE "execution_output" ADD CONSTRAINT "execution_output_execution_id_fkey" FOREIGN KEY ("execution_id") REFERENCES "executions"("id") ON DELETE CASCADE ON UPDATE CASCADE;
