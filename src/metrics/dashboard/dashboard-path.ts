/** The dashboard's route, beside the summary it polls: the page finds its data by dropping this suffix. */
export const DASHBOARD_SUFFIX = '/dashboard';

export function dashboardPathOf(customPath: string): string {
  return customPath === '/' ? DASHBOARD_SUFFIX : `${customPath}${DASHBOARD_SUFFIX}`;
}
