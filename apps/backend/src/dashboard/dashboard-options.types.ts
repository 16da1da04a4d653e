/** Options of `DashboardModule.register`. */
export interface DashboardModuleOptions {
  /** Whether `POST /dev/token` exists. @default false (true whenever NODE_ENV is not production) */
  devTokens: boolean;
}
