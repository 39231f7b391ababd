/**
 * The TensorFlow.js API the model code uses: core ops and layers, re-exported the way
 * @tensorflow/tfjs's own index does, without the graph-model converter, tf.data and the WebGL
 * backend. Nothing here uses those, and in the Kibana plugin's node_modules they (with
 * @tensorflow/tfjs's own bundles) would weigh about 190 MB of the 290 MB tfjs takes.
 */
export * from '@tensorflow/tfjs-core';
export * from '@tensorflow/tfjs-layers';
