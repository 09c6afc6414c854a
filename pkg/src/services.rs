use crate::Error;
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Where modules leave the services they provide and find the ones they need, one value per
/// type: the kernel's container holds one, and a [`ModuleContext`](crate::ModuleContext) made
/// for a test has its own. Used through
/// [`ModuleContext::provide`](crate::ModuleContext::provide) and
/// [`ModuleContext::service`](crate::ModuleContext::service).
#[derive(Default)]
pub struct ServiceDirectory {
    map: Mutex<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl ServiceDirectory {
    /// Stores `value` under its type.
    ///
    /// # Errors
    /// [`Error::DuplicateService`] when a value of that type is there already.
    pub fn insert(
        &self,
        type_name: &'static str,
        value: Arc<dyn Any + Send + Sync>,
    ) -> Result<(), Error> {
        let id = (*value).type_id();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        if map.contains_key(&id) {
            return Err(Error::DuplicateService { type_name });
        }
        map.insert(id, value);
        Ok(())
    }

    /// The value of type `id`, if one was provided.
    pub fn lookup(&self, id: TypeId) -> Option<Arc<dyn Any + Send + Sync>> {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }

    /// The value of type `S`, if one was provided.
    pub fn get<S: Any + Send + Sync>(&self) -> Option<Arc<S>> {
        self.lookup(TypeId::of::<S>())
            .and_then(|v| v.downcast::<S>().ok())
    }
}

impl std::fmt::Debug for ServiceDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceDirectory").finish_non_exhaustive()
    }
}
