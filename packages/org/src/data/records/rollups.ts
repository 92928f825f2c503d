/** Roll-up summaries: an order's TotalAmount is the sum of its items, and changing an item changes the order (its SystemModstamp moves, as in Salesforce). */
export const ROLLUPS: Readonly<Record<string, { parent: string; field: string; total: string; amount: string }>> = {
  OrderItem: { parent: 'Order', field: 'OrderId', total: 'TotalAmount', amount: 'TotalPrice' },
};
