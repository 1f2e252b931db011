/**
 * A tree data provider that shows nothing until the real one is attached, then forwards to it. The
 * views are created at activation (VS Code needs them then), while their providers live in the heavy
 * half of the extension, loaded when the runner opens; this keeps them out of the activation bundle.
 */
import * as vscode from 'vscode';

/** See the file comment. */
export class LazyTree<T> implements vscode.TreeDataProvider<T>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<T | T[] | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private impl: vscode.TreeDataProvider<T> | undefined;
  private forwarding: vscode.Disposable | undefined;

  /** Shows `impl`'s tree from now on. */
  attach(impl: vscode.TreeDataProvider<T>): void {
    this.forwarding?.dispose();
    this.impl = impl;
    this.forwarding = impl.onDidChangeTreeData?.((e) => this.changed.fire(e ?? undefined));
    this.changed.fire(undefined);
  }

  getTreeItem(element: T): vscode.TreeItem | Thenable<vscode.TreeItem> {
    return this.impl!.getTreeItem(element);
  }

  getChildren(element?: T): vscode.ProviderResult<T[]> {
    return this.impl ? this.impl.getChildren(element) : [];
  }

  getParent(element: T): vscode.ProviderResult<T> {
    return this.impl?.getParent?.(element);
  }

  dispose(): void {
    this.forwarding?.dispose();
    this.changed.dispose();
  }
}
