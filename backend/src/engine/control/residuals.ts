/** One residual tensor: `[batch, channels, h, w]` flattened. */
export interface ResidualTensor {
  data: Float32Array;
  dims: readonly number[];
}

/**
 * What ControlNets add to a UNet call: the down blocks' residuals in order, then the mid block's
 * (diffusers' `down_block_res_samples` and `mid_block_res_sample`; A1111's 13 `control` outputs).
 */
export interface ControlResiduals {
  tensors: ResidualTensor[];
}
