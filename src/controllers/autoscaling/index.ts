// The horizontal pod autoscaler (autoscaling/v1 and v2 HorizontalPodAutoscalers).

export { HorizontalController, horizontalDefaults, startHorizontalPodAutoscalerController } from './horizontal.ts';
export type { HorizontalOptions } from './horizontal.ts';
