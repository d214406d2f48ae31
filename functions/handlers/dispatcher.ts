// placeholder: owned by the lead

export const handler = async (): Promise<void> => {};
